// The 事件登记 form's subject search: typing in "查找对象" asks the API for the active
// units (…/orgs?q=) and the members on the roll (…/members?q=&active=true) whose name or
// code contains what was typed, a few of each, and puts them into the "对象" select. The
// same search works without this script: the "查找" button draws the page again with them.
(function () {
  "use strict";
  var input = document.querySelector("[data-subject-search]");
  if (!input || !window.fetch) return;
  var select = document.getElementById(input.dataset.select);
  var status = document.getElementById(input.dataset.status);
  var limit = parseInt(input.dataset.limit, 10) || 20;
  var units = select.querySelector('optgroup[data-kind="org"]');
  var members = select.querySelector('optgroup[data-kind="member"]');
  var timer = null;
  var asked = 0;

  function get(url, q, extra) {
    var query = "?q=" + encodeURIComponent(q) + "&page_size=" + (limit + 1) + extra;
    return fetch(url + query, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
  }

  function fill(group, rows, value, label) {
    var keep = select.value;
    while (group.firstChild) group.removeChild(group.firstChild);
    rows.slice(0, limit).forEach(function (row) {
      var option = document.createElement("option");
      option.value = value(row);
      option.textContent = label(row);
      group.appendChild(option);
    });
    select.value = keep;
    if (select.value !== keep) select.value = "";
  }

  function search() {
    var q = input.value.trim();
    if (!q) return;
    var mine = ++asked;
    Promise.all([
      get(input.dataset.orgs, q, "&status=active"),
      get(input.dataset.members, q, "&active=true")
    ]).then(function (found) {
      if (mine !== asked) return; // a later search has been sent
      fill(units, found[0], function (u) { return "org:" + u.id; },
           function (u) { return u.name; });
      fill(members, found[1], function (m) { return "member:" + m.id; },
           function (m) { return m.name + " " + (m.archive_code || ""); });
      var shown = Math.min(found[0].length, limit) + Math.min(found[1].length, limit);
      if (!shown) {
        status.textContent = input.dataset.none.replace("{q}", q);
        return;
      }
      if (shown === 1) select.value = (units.firstChild || members.firstChild).value;
      var text = input.dataset.found
        .replace("{units}", Math.min(found[0].length, limit))
        .replace("{members}", Math.min(found[1].length, limit));
      if (found[0].length > limit || found[1].length > limit) text += input.dataset.more;
      status.textContent = text;
    }).catch(function () {
      if (mine === asked) status.textContent = input.dataset.failed;
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });
})();
