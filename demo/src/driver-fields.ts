/**
 * Driver-specific fields: shown only for the drivers that use them. A driver not listed has none (the
 * drivers added later appear in the Driver list by themselves, with the common serial settings).
 */
export interface DriverField {
  /** The DriverOptions field it sets. */
  option: "command" | "address";
  label: string;
  placeholder: string;
  /** Filled in when the driver is chosen (the driver's own default otherwise). */
  initial?: string;
}

export const DRIVER_FIELDS: Readonly<Record<string, readonly DriverField[]>> = {
  scpi: [{ option: "command", label: "Command (SCPI)", placeholder: "MEAS:TEMP?", initial: "MEAS:TEMP?" }],
  impac: [{ option: "address", label: "Address (two digits)", placeholder: "00" }],
  "pfeiffer-tpg26x": [{ option: "address", label: "Gauge (1–6)", placeholder: "1" }],
  "lakeshore-33x": [{ option: "address", label: "Input (A–D)", placeholder: "A" }],
  "mks-937b": [{ option: "address", label: "Controller address", placeholder: "253" }],
  "eurotherm-bisynch": [{ option: "address", label: "Controller address", placeholder: "01" }],
  "inficon-sqm160": [{ option: "address", label: "Sensor", placeholder: "1" }],
  "modbus-rtu": [{ option: "address", label: "Slave address", placeholder: "1" }],
};

export function fieldsFor(driverId: string): readonly DriverField[] {
  return Object.hasOwn(DRIVER_FIELDS, driverId) ? DRIVER_FIELDS[driverId]! : [];
}
