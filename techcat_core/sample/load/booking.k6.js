import http from "k6/http";
import { check } from "k6";

export const options = {
  scenarios: { bookings: { executor: "constant-vus", vus: 200, duration: "5m" } },
  thresholds: { http_req_duration: ["p(95)<300"], checks: ["rate>0.99"] },
};

export default function () {
  const slot = new Date(Date.UTC(2025, 7, 1, 8, 0) + (__VU % 40) * 15 * 60 * 1000).toISOString();
  const res = http.post(`${__ENV.BASE_URL}/appointments`, JSON.stringify({ vetId: __ENV.VET_ID, petId: __ENV.PET_ID, startsAt: slot }),
    { headers: { "content-type": "application/json", cookie: __ENV.SESSION } });
  check(res, { "booked or conflict": (r) => r.status === 201 || r.status === 409 });
}
