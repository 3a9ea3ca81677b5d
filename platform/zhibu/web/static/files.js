// Files chosen for upload: photos are shrunk on the device (longer side 1600 px, JPEG)
// before they are sent, as the offline sheets do; other files (PDF, Office, a HEIC the
// browser cannot open: the server converts it) go as they are. ``zhibuShrink(file)`` is
// used by the score sheet's camera buttons and by the offline sheets (offline.js) before
// they keep a photo; an ``input[type=file][data-shrink]`` of a form has its photos
// replaced by their shrunk copies when chosen, and its chosen files named in
// ``#<data-list>``.
(function () {
  "use strict";
  var MAX = 1600;

  function shrink(file) {
    // a HEIC photo of an iPhone too: Safari opens it and it goes as a JPEG; a browser that
    // cannot open it sends it as it is, and the server converts it to JPEG
    var heic = /^image\/hei[cf]/.test(file.type || "") || /\.hei[cf]$/i.test(file.name || "");
    if (!heic && !/^image\/(jpeg|png|webp|gif|bmp)$/.test(file.type || "")) return Promise.resolve(file);
    var load = window.createImageBitmap
      ? createImageBitmap(file)
      : new Promise(function (resolve, reject) {
          var img = new Image();
          img.onload = function () { resolve(img); };
          img.onerror = reject;
          img.src = URL.createObjectURL(file);
        });
    return load.then(function (img) {
      var scale = Math.min(1, MAX / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.8); });
    }).then(function (blob) {
      if (!blob || (!heic && blob.size >= file.size)) return file; // already small: as taken
      var stem = (file.name || "photo").replace(/\.[^.]*$/, "");
      return new File([blob], stem + ".jpg", { type: "image/jpeg" });
    }).catch(function () { return file; });
  }
  window.zhibuShrink = shrink;

  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-shrink]"), function (input) {
    var list = input.dataset.list ? document.getElementById(input.dataset.list) : null;
    var form = input.form;
    var busy = false, pending = false;
    function take() {
      var chosen = Array.prototype.slice.call(input.files || []);
      if (!chosen.length || busy) return;
      busy = true;
      if (list) list.textContent = input.dataset.working || "";
      Promise.all(chosen.map(shrink)).then(function (files) {
        if (window.DataTransfer) {
          var box = new DataTransfer();
          files.forEach(function (f) { box.items.add(f); });
          input.files = box.files;
        }
        if (list) list.textContent = files.map(function (f) { return f.name; }).join("、");
      }).then(function () {
        busy = false;
        if (pending && form) { pending = false; form.requestSubmit ? form.requestSubmit() : form.submit(); }
      });
    }
    input.addEventListener("change", take);
    // chosen before this script ran (it is deferred; a slow phone shows the form first)
    if (input.files && input.files.length) take();
    if (form) {
      // sent while the photos are still being shrunk: sent when they are
      form.addEventListener("submit", function (event) {
        if (busy) { event.preventDefault(); pending = true; }
      });
    }
  });
})();
