/**
 * The one error the redaction layer throws. Its message never contains input data: callers may log
 * it or show it to the model, and the input is exactly what must not leak.
 */
export class RedactionError extends Error {
  override readonly name = "RedactionError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
