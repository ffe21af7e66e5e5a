/**
 * An instrument card's settings: driver, serial line settings (the driver's defaults when it is chosen),
 * channel names, and the fields only some drivers use (shown for them alone).
 */
import { DRIVERS, getDriver, type SerialSettings } from "atomscale-stream/serial";
import { field, h, option } from "./dom.ts";
import { driverOptions, fieldsFor } from "./driver-fields.ts";
import { parseChannels } from "./settings.ts";
import type { SourceRecord } from "./source-card.ts";

export class SourceForm {
  readonly element: HTMLFieldSetElement;
  readonly #driver: HTMLSelectElement;
  readonly #baud: HTMLInputElement;
  readonly #dataBits: HTMLSelectElement;
  readonly #parity: HTMLSelectElement;
  readonly #stopBits: HTMLSelectElement;
  readonly #flow: HTMLSelectElement;
  readonly #channels: HTMLInputElement;
  readonly #extra: HTMLElement;
  readonly #extraInputs = new Map<string, HTMLInputElement | HTMLSelectElement>();

  constructor(legend: string, record: SourceRecord) {
    this.#driver = h("select", { name: "driver", onchange: () => this.#driverChosen() }, ...Object.values(DRIVERS).map((d) => option(d.id, `${d.label}${d.kind === "polled" ? " (polled)" : ""}`)));
    this.#baud = h("input", { name: "baud", type: "number", min: "50", step: "1", inputMode: "numeric" });
    this.#dataBits = h("select", { name: "data-bits" }, option("8"), option("7"));
    this.#parity = h("select", { name: "parity" }, option("none"), option("even"), option("odd"));
    this.#stopBits = h("select", { name: "stop-bits" }, option("1"), option("2"));
    this.#flow = h("select", { name: "flow-control" }, option("none"), option("hardware", "hardware (RTS/CTS)"));
    this.#channels = h("input", { name: "channels", placeholder: "name:unit, …  e.g. temperature:C, pressure:mbar" });
    this.#extra = h("div", { className: "extra" });
    this.element = h(
      "fieldset",
      { className: "grid" },
      h("legend", { className: "visually-hidden" }, legend),
      field("Driver", this.#driver),
      field("Baud rate", this.#baud),
      field("Data bits", this.#dataBits),
      field("Parity", this.#parity),
      field("Stop bits", this.#stopBits),
      field("Flow control", this.#flow),
      field("Channels", this.#channels),
      this.#extra,
    );
    this.#driver.value = Object.hasOwn(DRIVERS, record.driverId) ? record.driverId : "lines";
    this.#showSerial(record.serial);
    this.#channels.value = record.channels;
    this.#showExtra(record.fields ?? {});
  }

  #showSerial(s: SerialSettings): void {
    this.#baud.value = String(s.baudRate);
    this.#dataBits.value = String(s.dataBits ?? 8);
    this.#parity.value = s.parity ?? "none";
    this.#stopBits.value = String(s.stopBits ?? 1);
    this.#flow.value = s.flowControl ?? "none";
  }

  #showExtra(texts: Readonly<Record<string, string>>): void {
    this.#extraInputs.clear();
    this.#extra.replaceChildren(
      ...fieldsFor(this.#driver.value).map((f) => {
        const input = f.choices ? h("select", { name: f.option }, ...f.choices.map((c) => option(c))) : h("input", { name: f.option, placeholder: f.placeholder });
        input.value = (Object.hasOwn(texts, f.option) ? texts[f.option] : undefined) || f.initial || (f.choices?.[0] ?? "");
        this.#extraInputs.set(f.option, input);
        return field(f.label, input);
      }),
    );
  }

  #driverChosen(): void {
    this.#showSerial(getDriver(this.#driver.value).serial);
    this.#showExtra({});
  }

  /** The form as a record (on top of `base`); a bad value is an error naming the field and the value. */
  read(base: SourceRecord, kind: SourceRecord["kind"]): SourceRecord {
    const baud = Number(this.#baud.value);
    if (!Number.isInteger(baud) || baud <= 0) throw new RangeError(`Baud rate must be a whole number above 0, not ${JSON.stringify(this.#baud.value)}.`);
    parseChannels(this.#channels.value); // checked now, used at connect
    const fields: Record<string, string> = {};
    for (const [option, input] of this.#extraInputs) fields[option] = input.value.trim();
    driverOptions(this.#driver.value, fields); // checked now, used at connect
    return {
      ...base,
      kind,
      driverId: this.#driver.value,
      serial: {
        baudRate: baud,
        dataBits: Number(this.#dataBits.value) as 7 | 8,
        parity: this.#parity.value as "none" | "even" | "odd",
        stopBits: Number(this.#stopBits.value) as 1 | 2,
        flowControl: this.#flow.value as "none" | "hardware",
      },
      channels: this.#channels.value,
      fields,
    };
  }
}
