import { NavLink, Outlet } from "react-router-dom";
import { Logo } from "./Logo";

export function Layout() {
  return (
    <>
      <header className="site-header">
        <Logo />
        <nav aria-label="Main">
          <NavLink to="/">Vets</NavLink> <NavLink to="/appointments">My appointments</NavLink> <NavLink to="/pets">My pets</NavLink>
        </nav>
      </header>
      <main id="content">
        <Outlet />
      </main>
    </>
  );
}
