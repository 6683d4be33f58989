import { exitAfterFlush, processIO } from "./io";
import { main } from "./main";

// The `snn` executable. Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted.
main(process.argv.slice(2), processIO()).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    process.stderr.write(
      `snn: internal error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    exitAfterFlush(1);
  },
);
