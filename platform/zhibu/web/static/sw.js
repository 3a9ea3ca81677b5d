// The service worker of 我的评分表: keeps the page and its files on the device, so that
// the page opens without a network (the sheets themselves are in IndexedDB, kept by
// offline.js). Network first, the kept copy when there is none. Nothing from outside.
"use strict";
var CACHE = "zhibu-offline-v2";
var SHELL = ["/static/zhibu/zhibu.css", "/static/zhibu/files.js", "/static/zhibu/offline.js",
             "/static/zhibu/icon.svg"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function kept(url) {
  return /^\/t\/[0-9a-f-]+\/offline$/.test(url.pathname) || url.pathname.indexOf("/static/zhibu/") === 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || !kept(url)) return;
  var key = url.origin + url.pathname; // the page whatever its query
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(key).then(function (found) { return found || Response.error(); });
    })
  );
});
