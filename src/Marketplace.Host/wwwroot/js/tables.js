// On a phone a list's rows stack as cards (site.css), and the column headers are hidden from sight: each cell is
// labelled with its column's header, so "450,00 €" says it is the unit price. Also for rows that arrive later (the
// matches inbox replaces its list as matches arrive). Without script the cards show their cells unlabelled.
(() => {
    const label = table => {
        // A header only screen readers hear (an actions column) labels nothing on screen either.
        const heads = [...table.querySelectorAll('thead th')].map(th => th.querySelector('.visually-hidden') ? '' : th.textContent.trim());
        for (const row of table.querySelectorAll('tbody tr')) {
            [...row.children].forEach((cell, i) => {
                if (heads[i] && !cell.hasAttribute('data-label')) {
                    cell.setAttribute('data-label', heads[i]);
                }
            });
        }
    };
    const all = () => document.querySelectorAll('.table-scroll table').forEach(label);
    all();
    new MutationObserver(all).observe(document.querySelector('main') ?? document.body, { childList: true, subtree: true });
})();
