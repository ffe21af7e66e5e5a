/** A tiny element builder: `h("button", { type: "button", onclick }, "Start")`. No framework. */
type Props = Record<string, unknown>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value as EventListener);
    else if (key === "className") el.className = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

/** A `<label>` wrapping its text and control (so getByLabel finds the control). */
export function field(text: string, control: HTMLElement, className?: string): HTMLLabelElement {
  return h("label", { className }, text, control);
}

export function option(value: string, text: string = value): HTMLOptionElement {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

export function clock(tSeconds: number): string {
  return new Date(tSeconds * 1000).toLocaleTimeString(undefined, { hour12: false });
}
