// Check-in at the door: results follow the typing, one tap checks in or undoes, the counts
// update at once, and every few seconds with what the other phones at the door did. Without
// JavaScript the same form and buttons work with page loads.
(function () {
  "use strict";
  var search = document.querySelector(".checkin-search");
  var results = document.getElementById("results");
  if (!search || !results || !window.fetch) { return; }
  var input = search.querySelector("input[type=search]");
  var countsBox = document.querySelector("[data-counts-url]");
  var timer = null;
  var asked = { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } };

  // the organizer's session ended (another tab signed out, it expired): to the sign-in page,
  // which comes back to this list, rather than taps that silently do nothing
  function signedIn(r) {
    if (r.status !== 401) { return r; }
    return r.json().then(function (reply) { window.location.assign(reply.login); return null; });
  }

  // only what changed: the counts are a live region, read out on each change
  function put(selector, value) {
    var node = countsBox.querySelector(selector);
    if (node && node.textContent !== String(value)) { node.textContent = value; }
  }

  function showCounts(data) {
    if (!countsBox || !data) { return; }
    put('[data-count="present"]', data.present);
    put('[data-count="registered"]', data.registered);
    Object.keys(data.present_by_gender).forEach(function (g) {
      put('[data-gender="' + g + '"]', data.present_by_gender[g]);
      put('[data-registered-gender="' + g + '"]', data.registered_by_gender[g]);
    });
  }

  function refreshCounts() {
    if (!countsBox || document.visibilityState === "hidden") { return; }
    fetch(countsBox.getAttribute("data-counts-url"), asked)
      .then(signedIn)
      .then(function (r) { return r && r.ok ? r.json() : null; })
      .then(showCounts)
      .catch(function () { /* the door's Wi-Fi: the next round tries again */ });
  }
  window.setInterval(refreshCounts, 10000);
  document.addEventListener("visibilitychange", refreshCounts);

  function load(then) {
    var url = search.getAttribute("data-results-url") + "&q=" + encodeURIComponent(input.value);
    fetch(url, asked)
      .then(signedIn)
      .then(function (r) { return r && r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#results");
        if (fresh) { results.replaceWith(fresh); results = fresh; }
        refreshCounts();  // the list may show check-ins made elsewhere: so do the counts
        if (then) { then(); }
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 200);
  });
  search.addEventListener("submit", function (event) { event.preventDefault(); load(); });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("checkin-form")) { return; }
    event.preventDefault();
    var data = new FormData(form);
    data.set("q", input.value);
    // the attribute: form.action would be the hidden field named "action"
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(signedIn)
      .then(function (r) {
        if (r === null) { return undefined; }
        // 409: nothing was recorded, and the reply says why or where to go
        return r.ok || r.status === 409 ? r.json() : null;
      })
      .then(function (reply) {
        if (reply === undefined) { return; }  // on the way to the sign-in page
        if (!reply) { form.submit(); return; }
        // someone without a seat: their page says who it is and asks first
        if (reply.location) { window.location.assign(reply.location); return; }
        // said aloud and shown ("… is checked in"), and the keyboard stays on that person
        var message = document.getElementById("checkin-message");
        if (message) { message.textContent = reply.message; }
        if (!reply.counts) { return; }  // refused (a cancelled meeting, before its day)
        showCounts(reply.counts);
        var person = (form.getAttribute("action").match(/registrations\/(\d+)\//) || [])[1];
        load(function () {
          var button = document.getElementById("undo-" + person) ||
            document.getElementById("in-" + person) || input;
          button.focus();
        });
      });
  });
})();
