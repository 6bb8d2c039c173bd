// Switching language on a form keeps what was typed: the form is sent back with the chosen
// language (field "switch_language"); the server neither checks nor saves it and shows the
// same form, as typed, in that language. Without JavaScript the form carries buttons of its
// own that do the same (templates/_language_buttons.html).
(function () {
  "use strict";
  var form = document.querySelector("form[data-keeps-input]");
  if (!form) { return; }
  var action = form.getAttribute("action");
  var input = document.createElement("input");
  input.type = "hidden";
  input.name = "switch_language";

  function carry(language, address, event) {
    event.preventDefault();
    input.value = language;
    form.appendChild(input);
    // to the page's address in that language, so that a reload shows it in that language too
    if (address) { form.setAttribute("action", address); }
    form.submit();  // no submit event, no browser validation: nothing is sent for good
  }

  // back on this page from the browser's history: the next sending is a real one again
  window.addEventListener("pageshow", function () {
    if (input.parentNode) { input.parentNode.removeChild(input); }
    if (action === null) { form.removeAttribute("action"); } else { form.setAttribute("action", action); }
  });

  var switcher = document.querySelectorAll(
    ".language-switcher a[hreflang], .language-switcher button[name='lang']");
  Array.prototype.forEach.call(switcher, function (control) {
    if (control.getAttribute("aria-current") === "true") { return; }
    control.addEventListener("click", function (event) {
      var link = control.getAttribute("hreflang");
      carry(link || control.value, link ? control.getAttribute("href") : null, event);
    });
  });
})();
