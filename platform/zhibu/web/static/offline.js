// 我的评分表: score sheets kept on the device (IndexedDB), filled offline, sent once the
// network is back. Stores: "bundles" (a round's sheets and rubrics, by cycle id), "drafts"
// (what the rater typed, by sheet key, with its state: pending, synced, refused, conflict),
// "photos" (photos shrunk by files.js, by photo id, until sent). Each sheet is sent under a
// client id made on the device; sent again after a lost answer, the server answers as
// before. The words come from the page (#offline-texts), in the user's language.
(function () {
  "use strict";
  var app = document.getElementById("offline-app");
  if (!app) return;
  var T = JSON.parse(document.getElementById("offline-texts").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var tenant = app.dataset.tenant;
  var user = app.dataset.user;
  var $ = function (id) { return document.getElementById(id); };
  var state = { bundle: null, drafts: {}, photos: [], open: null, showClosed: false };

  function say(text, n) { return text.replace("%(n)s", String(n)); }

  // --- IndexedDB -------------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var req = indexedDB.open("zhibu-offline-" + tenant + "-" + user, 1);
    req.onupgradeneeded = function () {
      var d = req.result;
      d.createObjectStore("bundles");
      d.createObjectStore("drafts");
      d.createObjectStore("photos");
    };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });
  function tx(store, mode, work) {
    return dbPromise.then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode);
        var result = work(t.objectStore(store));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function put(store, key, value) { return tx(store, "readwrite", function (s) { s.put(value, key); }); }
  function del(store, key) { return tx(store, "readwrite", function (s) { s.delete(key); }); }
  function get(store, key) { return tx(store, "readonly", function (s) { return s.get(key); }); }
  function all(store) {
    return tx(store, "readonly", function (s) { return s.getAll(); });
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }

  // --- the round's sheets ------------------------------------------------------------
  function cycleId() { return $("cycle").value; }

  function loadBundle() {
    var id = cycleId();
    var fromServer = navigator.onLine
      ? fetch(app.dataset.bundle + "?cycle=" + encodeURIComponent(id), {
          credentials: "same-origin", headers: { Accept: "application/json" },
        }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (b) { return put("bundles", id, b).then(function () { return b; }); })
      : Promise.reject(new Error("offline"));
    return fromServer.catch(function () { return get("bundles", id); }).then(function (b) {
      state.bundle = b || null;
      return all("drafts");
    }).then(function (drafts) {
      state.drafts = {};
      (drafts || []).forEach(function (d) { state.drafts[d.key] = d; });
      return adoptServer();
    }).then(function () { return all("photos"); }).then(function (photos) {
      state.photos = photos || [];
      render();
      if (state.bundle && navigator.onLine) note(say(T.fetched, state.bundle.sheets.length));
      if (!state.bundle) note(T.no_bundle);
    });
  }

  // a sheet not being edited here takes what the server holds
  function adoptServer() {
    if (!state.bundle) return Promise.resolve();
    var writes = [];
    state.bundle.sheets.forEach(function (s) {
      var d = state.drafts[s.key];
      var stored = s.stored;
      if (!stored) return;
      if (!d || (d.state === "synced" && d.based_on !== stored.digest)) {
        d = draftOf(s);
        d.deductions = indexed(stored.deductions);
        d.based_on = stored.digest;
        d.state = "synced";
        state.drafts[s.key] = d;
        writes.push(put("drafts", s.key, d));
      }
    });
    return Promise.all(writes);
  }

  function indexed(list) {
    var found = {};
    (list || []).forEach(function (x) {
      var row = found[x.item] || { points: 0, reason: "" };
      row.points += Number(x.points);
      row.reason = row.reason ? row.reason + ";" + x.reason : x.reason;
      found[x.item] = row;
    });
    return found;
  }

  function draftOf(sheet) {
    return {
      key: sheet.key, cycle_id: state.bundle.cycle.id, kind: sheet.kind,
      subject_id: sheet.subject_id, source: sheet.source,
      based_on: sheet.stored ? sheet.stored.digest : "",
      deductions: {}, state: "empty", client_id: null, message: "",
    };
  }

  function sheetsOfRound() {
    return state.bundle ? state.bundle.sheets : [];
  }

  function waiting() {
    return sheetsOfRound().filter(function (s) {
      var d = state.drafts[s.key];
      return d && d.state === "pending";
    });
  }

  // --- the list --------------------------------------------------------------------
  function render() {
    $("net").textContent = navigator.onLine ? T.online : T.offline;
    $("net").className = "badge " + (navigator.onLine ? "on" : "off");
    var n = waiting().length;
    var photos = state.photos.length;
    $("waiting").textContent = (n ? say(T.waiting, n) : T.nothing_waiting) +
      (photos ? " · " + say(T.photos_waiting, photos) : "");
    var list = $("sheets");
    list.innerHTML = "";
    // a round whose every sheet has closed says so in one line; its cards on demand
    var round = sheetsOfRound();
    var allShut = round.length > 0 && round.every(function (s) {
      return closedHere(s, state.drafts[s.key]);
    });
    $("all-closed").hidden = !allShut || Boolean(state.open);
    $("all-closed").textContent = allShut ? say(T.all_closed, round.length) : "";
    $("show-closed").hidden = !allShut || state.showClosed || Boolean(state.open);
    list.hidden = Boolean(state.open) || (allShut && !state.showClosed);
    round.forEach(function (s) {
      var d = state.drafts[s.key];
      var li = document.createElement("li");
      li.dataset.key = s.key;
      var shut = closedHere(s, d);
      li.className = "sheet-card " + (d ? d.state : "empty") + (shut ? " closed" : "");
      var a = document.createElement("a");
      a.href = "#" + s.key;
      a.textContent = s.subject + " · " + s.source_title;
      a.addEventListener("click", function (e) { e.preventDefault(); openSheet(s.key); });
      var badge = document.createElement("span");
      badge.className = "state";
      badge.textContent = shut ? T.closed : T[d ? d.state : "empty"];
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(badge);
      if (d && d.message && (d.state === "refused" || d.state === "conflict")) {
        var why = document.createElement("div");
        why.className = "why";
        why.textContent = d.message;
        li.appendChild(why);
      }
      list.appendChild(li);
    });
    if (state.open) renderEditor();
  }

  // a sheet whose phase has closed (as the bundle says) is read-only here, unless a draft
  // of it still waits: that is kept and sent, and the server answers with its reason
  function closedHere(sheet, draft) {
    return sheet.open === false && !(draft && draft.state === "pending");
  }

  function note(text) {
    var m = $("message");
    m.textContent = text;
    m.hidden = !text;
  }

  // --- one sheet ---------------------------------------------------------------------
  function sheetByKey(key) {
    return sheetsOfRound().filter(function (s) { return s.key === key; })[0];
  }

  function openSheet(key) {
    state.open = key;
    $("editor").hidden = false;
    render();  // hides the list, and draws the sheet
    window.scrollTo(0, 0);
  }

  function renderEditor() {
    var s = sheetByKey(state.open);
    if (!s) return closeSheet();
    var d = state.drafts[s.key] || draftOf(s);
    $("editor-title").textContent = s.subject + " · " + s.source_title;
    var shut = closedHere(s, state.drafts[s.key]);
    $("editor-status").textContent = shut ? T.closed_note : T[d.state] + (d.message ? ":" + d.message : "");
    $("editor-status").className = "state " + d.state;
    var conflict = $("conflict");
    conflict.hidden = d.state !== "conflict";
    if (d.state === "conflict" && d.server) {
      var parts = d.server.deductions.map(function (x) {
        return x.item + " −" + x.points + "(" + x.reason + ")";
      });
      $("server-version").textContent = parts.length ? parts.join(";") : T.none;
    }
    var box = $("lines");
    if (box.dataset.key === s.key && box.contains(document.activeElement)) {
      return; // typing: leave the inputs alone
    }
    box.dataset.key = s.key;
    box.innerHTML = "";
    var table = document.createElement("table");
    table.className = "offline-sheet";
    (state.bundle.rubrics[s.rubric] || []).forEach(function (ind) {
      var row = d.deductions[ind.code] || { points: "", reason: "" };
      var tr = document.createElement("tr");
      tr.dataset.code = ind.code;
      var head = document.createElement("td");
      head.innerHTML = "";
      head.appendChild(document.createTextNode(ind.code + " " + ind.title)); // as on paper
      var small = document.createElement("small");
      small.textContent = " " + T.max + " " + ind.max;
      head.appendChild(small);
      var cell = document.createElement("td");
      var points = document.createElement("input");
      points.type = "number"; points.min = "0"; points.max = String(ind.max);
      points.step = "0.5"; points.inputMode = "decimal";
      points.name = "d-" + ind.code; points.value = row.points || "";
      points.setAttribute("aria-label", T.deduct + " " + ind.code);
      points.placeholder = T.deduct;
      var reason = document.createElement("input");
      reason.name = "r-" + ind.code; reason.value = row.reason || "";
      reason.placeholder = T.reason;
      reason.setAttribute("aria-label", T.reason + " " + ind.code);
      var photo = document.createElement("input");
      photo.type = "file"; photo.accept = "image/*"; photo.capture = "environment";
      photo.name = "p-" + ind.code;
      points.disabled = reason.disabled = photo.disabled = shut;
      photo.className = "visually-hidden";
      var camera = document.createElement("label"); // the browser's own button speaks its language
      camera.className = "photo-button";
      camera.textContent = T.photo;
      camera.appendChild(photo);
      var shots = document.createElement("span");
      shots.className = "shots";
      state.photos.filter(function (p) { return p.key === s.key && p.indicator === ind.code; })
        .forEach(function (p) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(p.blob);
          img.alt = T.photo;
          shots.appendChild(img);
        });
      points.addEventListener("input", function () {
        // more than the line is worth: said at once (kept as typed; the server refuses it)
        var over = parseFloat(points.value) > ind.max;
        points.setCustomValidity(over ? say(T.over_max, ind.max) : "");
        if (over) points.reportValidity();
        edit(s, ind.code, points.value, reason.value);
      });
      reason.addEventListener("input", function () { edit(s, ind.code, points.value, reason.value); });
      photo.addEventListener("change", function () {
        if (photo.files && photo.files[0]) takePhoto(s, ind.code, photo.files[0]);
        photo.value = "";
      });
      cell.appendChild(points);
      cell.appendChild(reason);
      if (!shut) cell.appendChild(camera);
      cell.appendChild(shots);
      tr.appendChild(head);
      tr.appendChild(cell);
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function closeSheet() {
    state.open = null;
    $("lines").dataset.key = "";
    $("editor").hidden = true;
    render();
  }

  function edit(sheet, code, points, reason) {
    var d = state.drafts[sheet.key] || draftOf(sheet);
    var value = parseFloat(points);
    if (points === "" || isNaN(value)) {
      if (reason) d.deductions[code] = { points: 0, reason: reason };
      else delete d.deductions[code];
    } else {
      d.deductions[code] = { points: value, reason: reason };
    }
    if (d.state !== "conflict") {
      d.state = "pending";
      d.message = "";
    }
    d.client_id = null; // a changed sheet is a new sending
    state.drafts[sheet.key] = d;
    put("drafts", sheet.key, d).then(function () {
      $("editor-status").textContent = T[d.state] + " · " + T.saved_here;
      var n = waiting().length;
      $("waiting").textContent = n ? say(T.waiting, n) : T.nothing_waiting;
    });
  }

  // a photo shrunk on the device (files.js: longer side 1600 px, JPEG) before it is kept
  function takePhoto(sheet, code, file) {
    window.zhibuShrink(file).then(function (blob) {
      var kind = /\.[^.]*$/.exec(blob.name || "");
      var p = { id: uuid(), key: sheet.key, indicator: code, blob: blob, cycle_id: state.bundle.cycle.id,
                subject_id: sheet.subject_id, source: sheet.source, name: code + (kind ? kind[0] : ".jpg") };
      state.photos.push(p);
      return put("photos", p.id, p);
    }).then(function () {
      var d = state.drafts[sheet.key] || draftOf(sheet);
      if (d.state === "empty" || d.state === "synced") { d.state = "pending"; d.client_id = null; }
      state.drafts[sheet.key] = d;
      return put("drafts", sheet.key, d);
    }).then(function () { $("lines").dataset.key = ""; render(); });
  }

  // --- sending -------------------------------------------------------------------------
  function post(url, body, json) {
    var headers = { "X-CSRFToken": csrf, Accept: "application/json" };
    if (json) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers,
                        body: json ? JSON.stringify(body) : body })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (b) { return { status: r.status, body: b }; });
      });
  }

  function payload(d) {
    var deductions = [];
    Object.keys(d.deductions).forEach(function (code) {
      var x = d.deductions[code];
      if (x.points || x.reason) deductions.push({ item: code, points: x.points, reason: x.reason });
    });
    return { client_id: d.client_id, cycle_id: d.cycle_id, kind: d.kind, subject_id: d.subject_id,
             source: d.source, based_on: d.based_on || "", deductions: deductions };
  }

  function sendSheet(d) {
    if (!d.client_id) {
      d.client_id = uuid(); // kept until answered: a retry sends the same id
    }
    return put("drafts", d.key, d).then(function () {
      return post(app.dataset.sync, payload(d), true);
    }).then(function (answer) {
      if (answer.status === 200) {
        d.state = "synced"; d.message = ""; d.based_on = answer.body.digest; d.client_id = null; d.server = null;
      } else if (answer.status === 409) {
        d.state = "conflict"; d.message = answer.body.message || ""; d.server = answer.body.server;
        d.client_id = null;
      } else if (answer.status === 401) {
        throw new Error("login");
      } else {
        d.state = "refused"; d.message = answer.body.message || String(answer.status); d.client_id = null;
      }
      return put("drafts", d.key, d).then(function () { return d.state; });
    });
  }

  function sendPhotos() {
    var ready = state.photos.filter(function (p) {
      var d = state.drafts[p.key];
      return d && d.state === "synced";
    });
    return inTurns(ready, function (p) {
        var form = new FormData();
        form.append("client_id", p.id);
        form.append("cycle_id", p.cycle_id);
        form.append("subject_id", p.subject_id);
        form.append("source", p.source);
        form.append("indicator", p.indicator);
        form.append("file", p.blob, p.name);
        return post(app.dataset.photos, form, false).then(function (answer) {
          if (answer.status === 200) {
            state.photos = state.photos.filter(function (q) { return q.id !== p.id; });
            return del("photos", p.id);
          }
        });
    });
  }

  // run ``work`` on every item, at most AT_ONCE at a time (the server has several workers)
  var AT_ONCE = 3;
  function inTurns(items, work) {
    var next = 0;
    function lane() {
      if (next >= items.length) return Promise.resolve();
      var item = items[next++];
      return work(item).then(lane);
    }
    var lanes = [];
    for (var i = 0; i < Math.min(AT_ONCE, items.length); i++) lanes.push(lane());
    return Promise.all(lanes);
  }

  function syncAll() {
    if (!navigator.onLine) { note(T.offline_now); render(); return Promise.resolve(); }
    var counts = { synced: 0, refused: 0, conflict: 0 };
    var list = waiting().map(function (s) { return state.drafts[s.key]; });
    $("sync").disabled = true;
    return inTurns(list, function (d) {
      return sendSheet(d).then(function (s) { counts[s] += 1; });
    }).then(sendPhotos).then(function () {
      var parts = [];
      if (counts.synced) parts.push(say(T.synced_n, counts.synced));
      if (counts.refused) parts.push(say(T.refused_n, counts.refused));
      if (counts.conflict) parts.push(say(T.conflict_n, counts.conflict));
      note(parts.join(" "));
    }).catch(function (e) {
      note(e && e.message === "login" ? T.login_again : T.offline_now);
    }).then(function () {
      $("sync").disabled = false;
      $("lines").dataset.key = "";
      render();
    });
  }

  function resolve(keepMine) {
    var d = state.drafts[state.open];
    if (!d || !d.server) return;
    if (keepMine) {
      d.based_on = d.server.digest; d.state = "pending";
    } else {
      d.deductions = indexed(d.server.deductions); d.based_on = d.server.digest; d.state = "synced";
    }
    d.message = ""; d.server = null; d.client_id = null;
    put("drafts", d.key, d).then(function () { $("lines").dataset.key = ""; render(); });
  }

  // --- start -------------------------------------------------------------------------
  $("sync").addEventListener("click", syncAll);
  $("back").addEventListener("click", closeSheet);
  $("keep-mine").addEventListener("click", function () { resolve(true); });
  $("take-server").addEventListener("click", function () { resolve(false); });
  $("cycle").addEventListener("change", function () {
    state.showClosed = false;
    closeSheet();
    loadBundle();
  });
  $("show-closed").addEventListener("click", function () {
    state.showClosed = true;
    render();
  });
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.worker, { scope: "/" }).catch(function () {});
  }
  if ($("cycle").options.length) {
    var last = localStorage.getItem("zhibu-offline-cycle-" + tenant);
    if (last && Array.prototype.some.call($("cycle").options, function (o) { return o.value === last; })) {
      $("cycle").value = last;
    }
    $("cycle").addEventListener("change", function () {
      localStorage.setItem("zhibu-offline-cycle-" + tenant, cycleId());
    });
    loadBundle();
  } else {
    render();
  }
})();
