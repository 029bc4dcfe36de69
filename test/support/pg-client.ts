/** One connection for one piece of work, always closed: shared by the test fixtures and the bench. */
import { Client, ClientConfig } from "pg";

export async function withClient<T>(config: ClientConfig, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client(config);
    await c.connect();
    try {
        return await fn(c);
    } finally {
        await c.end();
    }
}
