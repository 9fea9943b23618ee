import { useEffect, useState } from "react";
import { DayView, type DayAppointment } from "../../components/DayView";

export function Dashboard() {
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [appointments, setAppointments] = useState<DayAppointment[]>([]);
  useEffect(() => void fetch(`/api/clinic/day?date=${date}`).then((r) => r.json()).then(setAppointments), [date]);
  return (
    <section>
      <h1>Today at the clinic</h1>
      <input type="date" aria-label="Day" value={date} onChange={(e) => setDate(e.target.value)} />
      <DayView appointments={appointments} />
    </section>
  );
}
