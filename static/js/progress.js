// Updates the progress of running invitation sendings without a reload.
// Without JavaScript the page shows the counts of when it was loaded.
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
        if (!data.done) { window.setTimeout(function () { update(section); }, 2000); }
      })
      .catch(function () { window.setTimeout(function () { update(section); }, 10000); });
  }

  Array.prototype.forEach.call(sections, update);
})();
