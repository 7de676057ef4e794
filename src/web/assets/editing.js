// Profile edit page: each activity shows only the area field of the chosen kind of area (a radius, or
// listed territories). Without this script every field stays visible and the server ignores the others.
(function () {
  'use strict';
  var rows = document.querySelectorAll('[data-activity]');
  function update(row) {
    var checked = row.querySelector('input[type="radio"]:checked');
    var kind = checked ? checked.value : '';
    var parts = row.querySelectorAll('[data-area]');
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i];
      // A field with an error stays visible.
      var invalid = part.querySelector('[aria-invalid="true"]');
      part.hidden = !invalid && part.getAttribute('data-area') !== kind;
    }
  }
  for (var r = 0; r < rows.length; r++) {
    (function (row) {
      var radios = row.querySelectorAll('input[type="radio"]');
      for (var k = 0; k < radios.length; k++) radios[k].addEventListener('change', function () { update(row); });
      update(row);
    })(rows[r]);
  }
})();
