// The paper score sheet: move with Enter and the arrow keys, check as you type (a
// deduction is a number, not above its item, and has a reason), save as you go.
(function () {
  "use strict";
  var form = document.getElementById("sheet");
  if (!form) return;
  var msg = form.dataset;
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-code]"));
  var status = document.getElementById("sheet-status");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var timer = null, sending = false, again = false;
  var lastSave = Promise.resolve(); // the save in flight: a photo waits for its deduction
  var dirty = false; // typed since the last save

  function number(text) {
    text = text.trim();
    return text === "" ? 0 : Number(text);
  }

  function check(row) {
    var points = row.querySelector("input.points");
    var reason = row.querySelector("input.reason");
    var max = Number(row.dataset.max);
    var value = number(points.value), problem = "";
    if (isNaN(value)) problem = msg.msgNumber;
    else if (value < 0) problem = msg.msgNegative;
    else if (value > max + 1e-9) problem = msg.msgMax + " " + max;
    else if (value > 0 && reason.value.trim() === "") problem = msg.msgReason;
    row.classList.toggle("invalid", problem !== "");
    points.setAttribute("aria-invalid", problem && problem !== msg.msgReason ? "true" : "false");
    reason.setAttribute("aria-invalid", problem === msg.msgReason ? "true" : "false");
    row.querySelector(".problem").textContent = problem;
    var score = isNaN(value) ? max : Math.max(max - value, 0);
    row.querySelector(".score").textContent = format(score);
    return problem === "";
  }

  function format(value) {
    return String(Math.round(value * 100) / 100);
  }

  function checkAll() {
    var ok = true, total = 0;
    rows.forEach(function (row) {
      ok = check(row) && ok;
      total += Number(row.querySelector(".score").textContent);
    });
    var scale = Number(form.dataset.scale), max = Number(form.dataset.max);
    if (max && scale && max !== scale) total = total * scale / max;
    document.getElementById("sheet-total").textContent = format(total);
    return ok;
  }

  function post() {
    var data = new FormData(form);
    data.set("csrf_token", token); // the form's own field wins over the header: keep it fresh
    return fetch(form.action || window.location.href, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": token, "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // not the sheet's answer (e.g. the login page after a redirect): logged out
        return { ok: false, status: 401, body: { reason: "login" } };
      }
      return response.json().then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  // After logging in again in another tab the session has a new CSRF token: read it from
  // the sheet's page (null while still logged out).
  function renewToken() {
    return fetch(window.location.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.redirected) return null;
      return response.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var meta = page.querySelector('meta[name="csrf-token"]');
        return meta ? meta.content : null;
      });
    });
  }

  function showExpired() {
    // what was typed stays in the form; the next save sends it
    status.textContent = msg.msgExpired + " ";
    var link = document.createElement("a");
    link.href = form.dataset.login + "?next=" + encodeURIComponent(window.location.pathname);
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = msg.msgLogin;
    status.appendChild(link);
    status.className = "invalid";
  }

  function send() {
    return post().then(function (answer) {
      if (answer.status !== 400 || answer.body.reason !== "csrf") return answer;
      return renewToken().then(function (fresh) {
        if (!fresh) return { ok: false, status: 401, body: { reason: "login" } };
        token = fresh;
        return post();
      });
    });
  }

  function save() {
    if (!checkAll()) {
      status.textContent = msg.msgInvalid;
      status.className = "invalid";
      return;
    }
    dirty = false;
    if (sending) { again = true; return; }
    sending = true;
    status.textContent = msg.msgSaving;
    status.className = "saving";
    lastSave = send().then(function (answer) {
      if (answer.ok) {
        // the next save says it follows this one (a save another one overtook is refused)
        if (form.elements.version && answer.body.version !== undefined) {
          form.elements.version.value = answer.body.version;
        }
        status.textContent = msg.msgSaved;
        status.className = "saved";
      } else if (answer.status === 401) {
        showExpired();
      } else {
        var problems = answer.body.errors && answer.body.errors.sheet;
        status.textContent = msg.msgFailed + ": " + (problems ? problems.join("; ") : answer.body.message);
        status.className = "invalid";
      }
    }).catch(function (error) {
      status.textContent = msg.msgFailed + ": " + error;
      status.className = "invalid";
    }).then(function () {
      sending = false;
      if (again) { again = false; save(); }
    });
  }

  function later() {
    dirty = true;
    clearTimeout(timer);
    checkAll();
    status.textContent = "";
    status.className = "";
    timer = setTimeout(save, 700);
  }

  function move(input, down) {
    var cells = Array.prototype.slice.call(form.querySelectorAll("input." + input.className.split(" ")[0]));
    var next = cells[cells.indexOf(input) + (down ? 1 : -1)];
    if (next) { next.focus(); next.select(); }
  }

  // a row's photo: shrunk on the device, sent once the sheet (its deduction) is saved,
  // shown on the row; the explanation shows it beside the deduction
  function upload(row, file) {
    var problem = row.querySelector(".photo-status");
    problem.className = "photo-status";
    problem.textContent = msg.msgUploading;
    var shrunk = window.zhibuShrink ? window.zhibuShrink(file) : Promise.resolve(file);
    clearTimeout(timer);
    if (dirty) save();
    Promise.all([shrunk, lastSave]).then(function (done) {
      var data = new FormData();
      data.append("csrf_token", token);
      data.append("indicator", row.dataset.code);
      data.append("file", done[0], done[0].name || row.dataset.code + ".jpg");
      return fetch(form.dataset.photos, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": token, "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error(body.message || String(response.status));
          var link = document.createElement("a");
          link.href = body.url; link.target = "_blank"; link.rel = "noopener";
          var img = document.createElement("img");
          img.src = body.thumb; img.alt = row.dataset.code;
          link.appendChild(img);
          row.querySelector(".shots").appendChild(link);
          problem.textContent = msg.msgUploaded;
        });
      });
    }).catch(function (error) {
      problem.className = "photo-status invalid";
      problem.textContent = msg.msgFailed + ":" + (error && error.message ? error.message : error);
    });
  }

  rows.forEach(function (row) {
    var input = row.querySelector("input.photo");
    if (!input) return;
    input.addEventListener("change", function (event) {
      event.stopPropagation(); // a photo is not an edit of the sheet
      if (input.files && input.files[0]) upload(row, input.files[0]);
      input.value = "";
    });
  });

  form.addEventListener("input", function (event) {
    if (event.target.type !== "file") later();
  });
  form.addEventListener("change", function (event) {
    if (event.target.type === "file") return;
    clearTimeout(timer); save();
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); save(); });
  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (input.tagName !== "INPUT") return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(input, event.key === "ArrowDown");
    } else if (event.key === "Enter") {
      event.preventDefault();
      // Enter walks the sheet like the paper: 扣分 → 扣分原因 → the next row's 扣分
      var inputs = Array.prototype.slice.call(form.querySelectorAll("input.points, input.reason"));
      var next = inputs[inputs.indexOf(input) + (event.shiftKey ? -1 : 1)];
      if (next) { next.focus(); next.select(); } else { clearTimeout(timer); save(); }
    }
  });
  checkAll();
})();
