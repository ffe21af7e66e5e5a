/** The Settings section: endpoint, API key, whether to remember the key. */
import { field, h } from "./dom.ts";
import { showError } from "./errors.ts";
import { normalizeEndpoint, type PageSettings } from "./settings.ts";

export class SettingsPanel {
  readonly element: HTMLElement;
  readonly #endpoint: HTMLInputElement;
  readonly #key: HTMLInputElement;
  readonly #remember: HTMLInputElement;
  readonly #status: HTMLElement;
  readonly #error: HTMLElement;

  constructor(save: (settings: PageSettings) => Promise<void>) {
    this.#endpoint = h("input", { name: "endpoint", placeholder: "https://api.atomscale.ai" });
    this.#key = h("input", { name: "api-key", type: "password", autocomplete: "off" });
    this.#remember = h("input", { type: "checkbox" });
    this.#status = h("p", { role: "status", "aria-label": "Settings status" });
    this.#error = h("div", { className: "error", role: "alert", hidden: true });
    const button = h(
      "button",
      {
        type: "button",
        onclick: async () => {
          showError(this.#error, undefined, "");
          try {
            await save({ endpoint: normalizeEndpoint(this.#endpoint.value), apiKey: this.#key.value.trim(), remember: this.#remember.checked });
          } catch (error) {
            showError(this.#error, error, "save the settings");
          }
        },
      },
      "Save settings",
    );
    this.element = h(
      "section",
      { "aria-labelledby": "settings-title" },
      h("h2", { id: "settings-title" }, "Settings"),
      h("div", { className: "grid" }, field("Endpoint", this.#endpoint), field("API key", this.#key), h("label", { className: "check" }, this.#remember, "Remember the key on this computer")),
      h("div", { className: "buttons" }, button),
      this.#status,
      this.#error,
    );
  }

  show(settings: PageSettings): void {
    this.#endpoint.value = settings.endpoint;
    this.#key.value = settings.apiKey;
    this.#remember.checked = settings.remember;
  }

  say(text: string): void {
    this.#status.textContent = text;
  }
}
