// The integrator's first try: a client generated from openapi/openapi.json (openapi-typescript +
// openapi-fetch), type-checked by tsc, run against a live server.
import createClient from "openapi-fetch";
import type { paths } from "./generated/investdesk";

const base = process.env.INVESTDESK_URL ?? "http://127.0.0.1:8080";
const admin = process.env.ADMIN_KEY ?? "";
const officer = process.env.OFFICER_KEY ?? "";

const as = (key: string) => createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${key}` } });
const asOfficer = as(officer);
const asAdmin = as(admin);

function must<T>(value: T | undefined, what: string, error?: unknown): T {
  if (value === undefined) throw new Error(`${what} failed: ${JSON.stringify(error)}`);
  return value;
}

const nha = must((await asOfficer.POST("/v1/parties", { body: { name: "National Highway Authority", kind: "governmentAgency", country: "PK" } })).data, "create party");
const boi = must((await asOfficer.POST("/v1/parties", { body: { name: "Board of Investment", kind: "governmentAgency", country: "PK" } })).data, "create party");
const focal = must((await asOfficer.POST("/v1/people", { body: { partyId: boi.id, name: "Focal Person", email: "focal@invest.gov.pk" } })).data, "create person");
const azerbaijan = must((await asOfficer.POST("/v1/parties", { body: { name: "Government of Azerbaijan", kind: "government", country: "AZ", focalPersonId: focal.id } })).data, "create party");

const created = await asOfficer.POST("/v1/opportunities", {
  body: {
    title: "M-6 Hyderabad–Sukkur Motorway",
    description: "A 306 km, six-lane motorway between Hyderabad and Sukkur; cost reported at US$1.7 bn (2025).",
    sectors: ["transport.road"],
    projectStatus: "preparation",
    engagementModels: ["g2g", "ppp"],
    hostCountry: "PK",
    locations: [{ description: "Hyderabad to Sukkur", region: "Sindh", coordinates: [[68.37, 25.39]] }],
    investmentSought: { amount: "1225000000.00", currency: "USD" },
    publicAuthorityId: nha.id,
    focalPersonId: focal.id,
  },
});
const m6 = must(created.data, "create opportunity", created.error);
const published = await asOfficer.PATCH("/v1/opportunities/{id}", { params: { path: { id: m6.id } }, body: { listingStatus: "published" } });
if (must(published.data, "publish", published.error).listingStatus !== "published") throw new Error("not published");

const key = must((await asAdmin.POST("/v1/api-keys", { body: { name: "azerbaijan", role: "investor", partyId: azerbaijan.id } })).data, "create key");
// The first answer shows the key; a replay of the request would not.
if (!key.key) throw new Error("the first answer to a key's creation shows the key");
const asInvestor = as(key.key);
const interest = must((await asInvestor.POST("/v1/opportunities/{id}/interests", { params: { path: { id: m6.id } }, body: { engagementModel: "g2g" } })).data, "express interest");
for (const to of ["screening", "engaged"] as const) {
  const moved = await asOfficer.POST("/v1/interests/{id}/transitions", { params: { path: { id: interest.id } }, body: { to } });
  must(moved.data, `transition to ${to}`, moved.error);
}
const timeline = must((await asInvestor.GET("/v1/interests/{id}/events", { params: { path: { id: interest.id } } })).data, "timeline");
// Entries are a union discriminated by `type`: only creation and stage changes carry `to`.
const stages = timeline.items
  .flatMap((e) => (e.type === "interest.created" || e.type === "interest.stageChanged" ? [e.to] : []))
  .join(" → ");
if (stages !== "expressed → screening → engaged") throw new Error(`unexpected timeline ${stages}`);

const refused = await asInvestor.POST("/v1/interests/{id}/transitions", { params: { path: { id: interest.id } }, body: { to: "negotiation" } });
if (refused.response.status !== 403 || refused.error?.code !== "forbidden") throw new Error("an investor moved its own interest");

console.log(`TypeScript client scenario passed: ${stages}`);
