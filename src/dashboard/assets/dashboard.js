// Progressive enhancement for the AKS Identity Auditor dashboard: every page works without
// this file. It only shows the "Copy command" buttons beside the fix commands (they are in the
// page, hidden, so nothing appears that cannot work without script).
'use strict';
(function () {
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain-http pages (the local host) have no async clipboard: select and copy instead.
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error('copy refused'));
  }

  document.querySelectorAll('button.copy[data-copy]').forEach(function (button) {
    var source = document.getElementById(button.getAttribute('data-copy'));
    var status = button.nextElementSibling;
    if (!source) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      copyText(source.textContent).then(
        function () { if (status) status.textContent = 'Copied.'; },
        function () { if (status) status.textContent = 'Copy was refused: select the command and copy it.'; }
      );
    });
  });
})();
