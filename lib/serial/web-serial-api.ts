/**
 * The part of the Web Serial API (https://wicg.github.io/serial/) that WebSerialConnection uses, as
 * the library's own types. The published declarations then need no global Web Serial typings: they
 * compile in a Node-only, a DOM or a Deno project, and the browser's real `SerialPort` and
 * `navigator.serial` (or `@types/w3c-web-serial`'s) fit these shapes as they are.
 */

/** https://wicg.github.io/serial/#dom-serialoptions */
export interface SerialPortOpenOptions {
  baudRate: number;
  dataBits?: 7 | 8 | undefined;
  stopBits?: 1 | 2 | undefined;
  parity?: "none" | "even" | "odd" | undefined;
  bufferSize?: number | undefined;
  flowControl?: "none" | "hardware" | undefined;
}

/** https://wicg.github.io/serial/#serialportinfo-dictionary */
export interface SerialPortInfo {
  usbVendorId?: number | undefined;
  usbProductId?: number | undefined;
}

/** https://wicg.github.io/serial/#dom-serialport — a port the user granted. */
export interface SerialPort extends EventTarget {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: SerialPortOpenOptions): Promise<void>;
  close(): Promise<void>;
  getInfo(): SerialPortInfo;
}

/** https://wicg.github.io/serial/#dom-serial — `navigator.serial`: granted ports and `connect` events. */
export interface Serial extends EventTarget {
  getPorts(): Promise<SerialPort[]>;
}
