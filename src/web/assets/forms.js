// Search forms send GET requests: leave empty fields out so the address stays short and readable.
(function () {
  'use strict';
  var forms = document.querySelectorAll('form[method="get"]');
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener('submit', function (e) {
      // A commune chosen in the suggestions is sent as its INSEE code: the typed label is not needed.
      var code = e.currentTarget.querySelector('input[type="hidden"][name="commune"]');
      var typed = e.currentTarget.querySelector('input[name="lieu"]');
      if (code && code.value && typed) typed.disabled = true;
      var fields = e.currentTarget.querySelectorAll('input[name], select[name]');
      for (var j = 0; j < fields.length; j++) {
        var f = fields[j];
        if (f.type !== 'checkbox' && f.value === '') f.disabled = true;
      }
    });
  }
  // Coming back with the browser's history: fields must be usable again.
  window.addEventListener('pageshow', function () {
    var off = document.querySelectorAll('form[method="get"] [disabled]');
    for (var k = 0; k < off.length; k++) off[k].disabled = false;
  });
})();
