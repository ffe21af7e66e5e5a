/** The ApiError of a request that failed: a non-2xx answer (its `detail`, Retry-After, status), a timeout, a network failure. */
import { ApiError, parseRetryAfter } from "./errors.js";

/** The ApiError of a non-2xx answer: the server's `detail` (or its raw text in `body`), Retry-After, status. */
export function errorOf(status: number, text: string | undefined, retryAfter: string | null, method: string, path: string, cause: unknown): ApiError {
  let body = text;
  let detail: unknown;
  try {
    detail = (JSON.parse(text as string) as { detail?: unknown }).detail;
    body = undefined;
  } catch {
    // not JSON: keep the raw text in `body`
  }
  return new ApiError({
    method,
    path,
    status,
    detail,
    body,
    retryAfterMs: parseRetryAfter(retryAfter),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** What ky threw, as an ApiError (`ky`: the module, imported lazily — see requests.ts); the caller's own abort goes through untouched. */
export async function toApiError(ky: typeof import("ky"), error: unknown, method: string, path: string): Promise<unknown> {
  if (error instanceof ky.HTTPError) {
    const text = await error.response.text().catch(() => undefined);
    return errorOf(error.response.status, text, error.response.headers.get("retry-after"), method, path, error);
  }
  if (error instanceof ky.TimeoutError) return new ApiError({ method, path, code: "timeout", cause: error });
  // The caller's own abort is not an API failure: let it through untouched.
  if (error instanceof Error && error.name === "AbortError") return error;
  return new ApiError({ method, path, code: "network", cause: error });
}
