// The second integrator: a client generated with @hey-api/openapi-ts (fetch), type-checked by tsc,
// run against a live server. It sends the headers the document declares (Idempotency-Key,
// If-None-Match, X-Request-Id) and reads those it says come back (ETag, Idempotent-Replayed,
// RateLimit, X-Request-Id).
import { createClient, createConfig } from "./generated/hey/client";
import { createParty, getParty, listOpportunities, updateParty } from "./generated/hey/sdk.gen";
import type { PartyInput } from "./generated/hey/types.gen";

const base = process.env.INVESTDESK_URL ?? "http://127.0.0.1:8080";
const officer = process.env.OFFICER_KEY ?? "";
const client = createClient(createConfig({ baseUrl: base, auth: () => officer }));

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(what);
}

const key = `hey-${Date.now()}`;
const body: PartyInput = { name: "Türkiye Wealth Fund", kind: "fund", country: "TR" };
const first = await createParty({ client, body, headers: { "Idempotency-Key": key, "X-Request-Id": "hey-create-1" } });
check(first.response.status === 201 && first.data !== undefined, `create: ${first.response.status} ${JSON.stringify(first.error)}`);
check(first.response.headers.get("x-request-id") === "hey-create-1", "the request id comes back");
const again = await createParty({ client, body, headers: { "Idempotency-Key": key } });
check(again.response.headers.get("idempotent-replayed") === "true", "a retry with the same key is replayed");
check(again.data?.id === first.data.id, "the replay answers the same party");

const read = await getParty({ client, path: { id: first.data.id } });
const etag = read.response.headers.get("etag");
check(etag !== null && /^"v[0-9]+"$/.test(etag), `ETag ${etag}`);
const cached = await getParty({ client, path: { id: first.data.id }, headers: { "If-None-Match": etag } });
check(cached.response.status === 304, `If-None-Match: ${cached.response.status}`);

const stale = await updateParty({ client, path: { id: first.data.id }, body: { website: "https://www.tvf.com.tr" }, headers: { "If-Match": '"v999"' } });
check(stale.response.status === 412 && stale.error?.code === "preconditionFailed", `stale If-Match: ${stale.response.status}`);

const page = await listOpportunities({ client, query: { limit: 1, sector: ["transport"] } });
check(page.response.status === 200 && page.data !== undefined, `list: ${page.response.status}`);
const refused = await listOpportunities({ client, query: { q: "a\u0000b" } });
check(refused.response.status === 400, "control characters in a query are refused, as the pattern says");

console.log(`@hey-api client scenario passed: party ${first.data.id} created once, replayed, cached, guarded`);
