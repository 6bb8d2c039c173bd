// Switching language on a form keeps what was typed: the form is sent back with the chosen
// language (field "switch_language"); the server neither checks nor saves it and shows the
// same form, as typed, in that language. Without JavaScript the switcher is a plain link.
(function () {
  "use strict";
  var form = document.querySelector("form[data-keeps-input]");
  if (!form) { return; }

  function carry(language, event) {
    event.preventDefault();
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "switch_language";
    input.value = language;
    form.appendChild(input);
    form.submit();  // no submit event, no browser validation: nothing is sent for good
  }

  var switcher = document.querySelectorAll(
    ".language-switcher a[hreflang], .language-switcher button[name='lang']");
  Array.prototype.forEach.call(switcher, function (control) {
    if (control.getAttribute("aria-current") === "true") { return; }
    control.addEventListener("click", function (event) {
      carry(control.getAttribute("hreflang") || control.value, event);
    });
  });
})();
