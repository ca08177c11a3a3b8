// Small DOM helpers shared by the pages: views, live announcements, form errors.

export const $ = (id) => document.getElementById(id);

/** Shows the section with data-view=name, hides the others, and moves focus to its heading. */
export function showView(name, { focus = true } = {}) {
  for (const section of document.querySelectorAll("[data-view]")) section.hidden = section.dataset.view !== name;
  document.body.dataset.state = name;
  const heading = document.querySelector(`[data-view="${name}"] h2`);
  if (focus && heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** Polite status line (role=status). */
export function announce(text) {
  $("status").textContent = text ?? "";
}

/** Assertive problem line (role=alert); empty text hides it. */
export function showAlert(text) {
  const alert = $("alert");
  alert.textContent = text ?? "";
  alert.hidden = !text;
}

export function clearFieldErrors(form) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const error of form.querySelectorAll(".error")) {
    error.textContent = "";
    error.hidden = true;
  }
}

/** Shows {field: [messages]} next to the inputs named field; focuses the first one. Returns false when none matched. */
export function showFieldErrors(form, fields) {
  clearFieldErrors(form);
  let first = null;
  for (const [field, messages] of Object.entries(fields ?? {})) {
    const input = form.elements.namedItem(field);
    if (!input) continue;
    const error = document.getElementById(`${input.id}-error`);
    input.setAttribute("aria-invalid", "true");
    if (error) {
      error.textContent = `${input.labels?.[0]?.textContent.replace("*", "").trim() ?? field} ${[].concat(messages).join(", ")}`;
      error.hidden = false;
    }
    first ??= input;
  }
  first?.focus();
  return first !== null;
}

export function describeWait(seconds) {
  if (seconds == null) return "—";
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "about 1 minute" : `about ${minutes} minutes`;
}

export function setPressed(button, pressed) {
  button.setAttribute("aria-pressed", String(pressed));
}
