/** FastAPI-shaped error answers: `{"detail": "message"}`, or 422 with a list of pydantic items. */
import type { Context } from "hono";
import type { ValidationErrorItem } from "../api/wire.js";
import type { Validator } from "./validate.js";

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500;

export const fail = (c: Context, status: ErrorStatus, detail: string | ValidationErrorItem[]) => c.json({ detail }, status);

export const invalid = (c: Context, v: Validator) => fail(c, 422, v.errors);
