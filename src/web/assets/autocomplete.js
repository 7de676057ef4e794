// Commune autocompletion: turns <input data-autocomplete="commune"> into an ARIA combobox.
// The visible input ("lieu") shows the label ("Lille (59)") or what is typed; a hidden input "commune"
// carries the INSEE code once a suggestion is chosen, and is emptied when the text changes (the server
// then resolves the typed postal code or name, as it does without JavaScript).
(function () {
  'use strict';
  var counter = 0;

  function setup(input) {
    counter += 1;
    var baseId = (input.id || 'pl-autocomplete-' + counter) + '-suggestions';
    var hidden = document.createElement('input');
    hidden.type = 'hidden';
    hidden.name = 'commune';
    hidden.value = input.getAttribute('data-code') || '';
    input.parentNode.appendChild(hidden);

    var list = document.createElement('ul');
    list.id = baseId;
    list.className = 'pl-autocomplete__list';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'Communes proposées');
    list.hidden = true;
    input.parentNode.appendChild(list);

    var status = document.createElement('p');
    status.className = 'fr-sr-only';
    status.setAttribute('role', 'status');
    input.parentNode.appendChild(status);

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);

    var items = [];
    var active = -1;
    var timer = null;
    var sequence = 0;

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function open() {
      if (!items.length) return;
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }

    function highlight(index) {
      var options = list.querySelectorAll('[role="option"]');
      for (var i = 0; i < options.length; i++) options[i].setAttribute('aria-selected', i === index ? 'true' : 'false');
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute('aria-activedescendant', options[index].id);
        if (options[index].scrollIntoView) options[index].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) return;
      input.value = item.label;
      hidden.value = item.code;
      status.textContent = item.label + ' choisie.';
      close();
    }

    function render(found) {
      items = found;
      list.textContent = '';
      found.forEach(function (item, i) {
        var li = document.createElement('li');
        li.id = baseId + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.className = 'pl-autocomplete__option';
        li.textContent = item.label;
        if (item.postalCodes && item.postalCodes.length) {
          var cp = document.createElement('span');
          cp.className = 'pl-autocomplete__hint';
          cp.textContent = ' ' + item.postalCodes.slice(0, 3).join(', ') + (item.postalCodes.length > 3 ? '…' : '');
          li.appendChild(cp);
        }
        li.addEventListener('mousedown', function (e) {
          e.preventDefault();
        });
        li.addEventListener('click', function () {
          choose(i);
          input.focus();
        });
        list.appendChild(li);
      });
      active = -1;
      if (found.length) {
        open();
        status.textContent = found.length + (found.length > 1 ? ' communes proposées' : ' commune proposée') + ', utilisez les flèches pour choisir.';
      } else {
        close();
        status.textContent = 'Aucune commune trouvée.';
      }
    }

    function lookup() {
      var q = input.value.trim();
      var mine = ++sequence;
      if (q.length < 2) {
        items = [];
        list.textContent = '';
        close();
        return;
      }
      fetch('/api/v1/territories?type=commune&limit=8&q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' } })
        .then(function (r) {
          return r.ok ? r.json() : { items: [] };
        })
        .then(function (body) {
          if (mine === sequence) render(body.items || []);
        })
        .catch(function () {
          if (mine === sequence) render([]);
        });
    }

    input.addEventListener('input', function () {
      hidden.value = '';
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });

    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown' || e.key === 'Down') {
        e.preventDefault();
        if (list.hidden) open();
        if (items.length) highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (e.key === 'ArrowUp' || e.key === 'Up') {
        e.preventDefault();
        if (list.hidden) open();
        if (items.length) highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (e.key === 'Enter') {
        if (!list.hidden && active >= 0) {
          e.preventDefault();
          choose(active);
        }
      } else if (e.key === 'Escape' || e.key === 'Esc') {
        if (!list.hidden) {
          e.preventDefault();
          close();
        }
      } else if (e.key === 'Tab') {
        close();
      }
    });

    input.addEventListener('blur', function () {
      setTimeout(close, 150);
    });
  }

  function init() {
    var inputs = document.querySelectorAll('input[data-autocomplete="commune"]');
    for (var i = 0; i < inputs.length; i++) setup(inputs[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
