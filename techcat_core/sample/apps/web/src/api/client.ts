export type Vet = { id: string; name: string; specialties: string[] };
export type Appointment = { id: string; vetId: string; petId: string; startsAt: string; status: "booked" | "cancelled" | "arrived" };

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`/api${path}`, { credentials: "include", headers: { "content-type": "application/json" }, ...init });
  if (!res.ok) throw new Error((await res.json()).title ?? res.statusText);
  return res.status === 204 ? (undefined as T) : res.json();
}

export const api = {
  vets: (specialty?: string) => request<Vet[]>(`/vets${specialty ? `?specialty=${specialty}` : ""}`),
  availability: (vetId: string, date: string) => request<string[]>(`/vets/${vetId}/availability?date=${date}`),
  book: (body: { vetId: string; petId: string; startsAt: string }) =>
    request<Appointment>("/appointments", { method: "POST", body: JSON.stringify(body) }),
};
