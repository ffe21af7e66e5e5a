/**
 * Which of an instrument's inputs a polled driver reads and what each channel is called: `options.inputs`
 * (else the driver's defaults; else as many as `options.channels` names), `options.channels[i]` naming
 * input i (else the driver's name for it). A bad input or a count mismatch is a `DriverConfigError`.
 */
import type { DriverOptions } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";

export interface InputChannel {
  /** The input as the instrument knows it ("1", "PV", "rate"). */
  input: string;
  channel: string;
}

export interface InputRules {
  /** What an input is, for messages ("gauge", "mnemonic"). */
  what: string;
  /** The inputs read when neither `inputs` nor `channels` says otherwise. */
  defaults: readonly string[];
  /** With `channels` but no `inputs`: the inputs the names go to, in order (default: `defaults`). */
  candidates?: readonly string[];
  /** An input as given → the input as the instrument knows it, or undefined if it is not one. */
  normalize: (input: string) => string | undefined;
  /** What the allowed inputs are, for messages ("1 to 6"). */
  allowed: string;
  /** The driver's channel name for an input. */
  name: (input: string) => string;
}

export function inputChannels(options: DriverOptions, rules: InputRules): InputChannel[] {
  const names = options.channels;
  let inputs: string[];
  if (options.inputs !== undefined && options.inputs.length > 0) {
    inputs = options.inputs.map((raw) => {
      const input = rules.normalize(raw.trim());
      if (input === undefined) {
        throw new DriverConfigError(`${JSON.stringify(raw)} is not a ${rules.what} this instrument has: use ${rules.allowed}; set options.inputs.`, "bad-input");
      }
      return input;
    });
    const seen = new Set<string>();
    for (const input of inputs) {
      if (seen.has(input)) throw new DriverConfigError(`The ${rules.what} ${input} is listed twice in options.inputs.`, "bad-input");
      seen.add(input);
    }
  } else if (names !== undefined && names.length > 0) {
    const candidates = rules.candidates ?? rules.defaults;
    if (names.length > candidates.length) {
      throw new DriverConfigError(`${names.length} channel names for at most ${candidates.length} ${rules.what}s (${candidates.join(", ")}); name fewer, or say which with options.inputs.`, "bad-channels");
    }
    inputs = candidates.slice(0, names.length);
  } else inputs = [...rules.defaults];
  if (names !== undefined && names.length > 0 && names.length !== inputs.length) {
    throw new DriverConfigError(`${names.length} channel names for ${inputs.length} ${rules.what}s (${inputs.join(", ")}): give one name per ${rules.what}.`, "bad-channels");
  }
  return inputs.map((input, i) => ({ input, channel: names?.[i] ?? rules.name(input) }));
}
