// The `heroku` shim's client: sends this process's argv, environment and working directory to the host
// (host.mjs) on the socket named by RAPTOR_HEROKU_CLI_HOST, writes back what the command wrote to stdout and
// stderr, and exits with its code. About 50 ms of node start-up against the CLI's second.
import * as net from "node:net";

const socket = net.connect(process.env.RAPTOR_HEROKU_CLI_HOST);
let pending = Buffer.alloc(0);
let exitCode;
socket.on("connect", () => {
    socket.write(JSON.stringify({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() }) + "\n");
});
socket.on("data", (data) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 5) {
        const length = pending.readUInt32BE(1);
        if (pending.length < 5 + length) {
            break;
        }
        const kind = pending.readUInt8(0);
        const body = pending.subarray(5, 5 + length);
        pending = pending.subarray(5 + length);
        if (kind === 1) {
            process.stdout.write(body);
        } else if (kind === 2) {
            process.stderr.write(body);
        } else {
            exitCode = body.readInt32BE(0);
        }
    }
});
socket.on("error", (error) => {
    process.stderr.write(`heroku-cli-host client: ${error.message}\n`);
    process.exitCode = 1;
});
socket.on("close", () => {
    if (exitCode === undefined) {
        process.stderr.write("heroku-cli-host client: the host closed the connection before the command ended\n");
        process.exitCode = 1;
        return;
    }
    process.exitCode = exitCode;
});
