import { Route, Routes } from "react-router-dom";
import { Layout } from "./components/Layout";
import { Vets } from "./pages/Vets";
import { Booking } from "./pages/Booking";
import { SignIn } from "./pages/SignIn";
import { MyAppointments } from "./pages/MyAppointments";
import { Pets } from "./pages/Pets";
import { Dashboard } from "./pages/staff/Dashboard";

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Vets />} />
        <Route path="book" element={<Booking />} />
        <Route path="sign-in" element={<SignIn />} />
        <Route path="appointments" element={<MyAppointments />} />
        <Route path="pets" element={<Pets />} />
        <Route path="staff" element={<Dashboard />} />
      </Route>
    </Routes>
  );
}
