// Posting a need: shows only the place fields of the chosen kind (step 2) and the insertion hours when a
// clause sociale is chosen (step 4). Without JavaScript every field stays visible and the server ignores
// what the chosen kind does not use.
(function () {
  'use strict';
  function places() {
    var radios = document.querySelectorAll('input[name="placeKind"]');
    var blocks = document.querySelectorAll('[data-place]');
    if (!radios.length || !blocks.length) return;
    function update() {
      var chosen = document.querySelector('input[name="placeKind"]:checked');
      var kind = chosen ? chosen.value : '';
      for (var i = 0; i < blocks.length; i++) blocks[i].hidden = blocks[i].getAttribute('data-place') !== kind;
    }
    for (var i = 0; i < radios.length; i++) radios[i].addEventListener('change', update);
    update();
  }
  function hours() {
    var clause = document.getElementById('champ-socialClause');
    var field = document.getElementById('champ-insertionHours');
    if (!clause || !field) return;
    var group = field.closest('.fr-fieldset__element') || field.parentNode;
    function update() {
      group.hidden = !clause.checked;
    }
    clause.addEventListener('change', update);
    update();
  }
  places();
  hours();
})();
