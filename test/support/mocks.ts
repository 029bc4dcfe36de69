/** The offline program runner, re-exported for tests. */
export * from "../../offline/run-program";
