// Starts the fauxqs SQS emulator on loopback only; its CLI would bind every interface.
import { buildApp } from "fauxqs";

const port = Number(process.env.FAUXQS_PORT);
const app = buildApp({ logger: false });
await app.listen({ port, host: "127.0.0.1" });
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
