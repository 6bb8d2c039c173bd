// Updates the progress of running invitation sendings without a reload, and reloads once
// when a sending it watched finishes. Without JavaScript the page shows the counts of when
// it was loaded.
(function () {
  "use strict";
  var sections = document.querySelectorAll("[data-progress-url]");
  if (!sections.length || !window.fetch) { return; }

  function update(section) {
    fetch(section.getAttribute("data-progress-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        ["sent", "waiting", "paused", "failed", "withdrawn"].forEach(function (name) {
          var node = section.querySelector('[data-count="' + name + '"]');
          if (node) { node.textContent = data[name]; }
        });
        var bar = section.querySelector("progress");
        if (bar) { bar.value = data.sent; bar.textContent = data.percent + "%"; }
        if (!data.done) {
          section.setAttribute("data-running", "");
          window.setTimeout(function () { update(section); }, 2000);
        } else if (section.hasAttribute("data-running")) {
          // finished while watched: the page again, with each person's status and without
          // the pause and stop buttons that no longer apply
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(function () { update(section); }, 10000); });
  }

  Array.prototype.forEach.call(sections, update);
})();
