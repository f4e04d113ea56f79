// Hover explanations for the terms the panel shows (γ, ρ, σ_max, horizon, …), in the words of src/protocol/glossary.ts.
// Each is a focusable element with a tooltip element it names in aria-describedby: the tooltip shows on mouse hover
// and on keyboard focus alike (style.css), and a screen reader reads it as the element's description.
import type { GlossaryTerm } from '../src/protocol';
import { GLOSSARY } from '../src/protocol';

let nextId = 0;

/** Make `host` explain `terms` on hover and focus (several terms: their explanations one after the other). */
export function explain(host: HTMLElement, terms: GlossaryTerm[]): HTMLElement {
  const tip = explainText(host, terms.map((t) => GLOSSARY[t]).join(' '));
  tip.dataset.terms = terms.join(' ');
  return host;
}

/** Make `host` show `text` on hover and focus, the way `explain` shows glossary terms; returns the tooltip element. */
export function explainText(host: HTMLElement, text: string): HTMLElement {
  const tip = document.createElement('span');
  tip.className = 'term-tip';
  tip.id = `unroll-term-${nextId++}`;
  tip.setAttribute('role', 'tooltip');
  tip.textContent = text;
  host.classList.add('has-term');
  host.tabIndex = 0;
  host.setAttribute('aria-describedby', tip.id);
  host.append(tip);
  host.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') host.blur();
  });
  return tip;
}

/** A short label ("flow row", "bound (γσ_max)^d") that explains a term (or says `terms` when it is text): for a view's controls bar. */
export function termChip(label: string, terms: GlossaryTerm[] | string): HTMLElement {
  const chip = document.createElement('span');
  chip.className = 'term';
  const text = document.createElement('span');
  text.textContent = label;
  chip.append(text);
  if (typeof terms === 'string') {
    explainText(chip, terms);
    return chip;
  }
  return explain(chip, terms);
}

/** A row of term chips under the caption "Terms:". */
export function termBar(items: [string, GlossaryTerm[] | string][]): HTMLElement {
  const bar = document.createElement('span');
  bar.className = 'terms';
  const caption = document.createElement('span');
  caption.className = 'hint';
  caption.textContent = 'Terms:';
  bar.append(caption, ...items.map(([label, terms]) => termChip(label, terms)));
  return bar;
}
