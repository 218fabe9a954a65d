// Studio shell: sign-in with an API key, hash routing between pages, the account box, the
// narrow-screen menu. Routes: #/page[/arg...]; a page module exports render(main, args) and
// optionally leave().
import { api, auth, h, toast } from "./api.js";
import { icons } from "./icons.js";

for (const el of document.querySelectorAll("[data-icon]")) el.innerHTML = icons[el.dataset.icon];

const PAGES = {
  create: () => import("./pages/create.js"),
  characters: () => import("./pages/characters.js"),
  character: () => import("./pages/character.js"),
  documents: () => import("./pages/documents.js"),
  voices: () => import("./pages/voices.js"),
  test: () => import("./pages/test.js"),
  deployments: () => import("./pages/deployments.js"),
  session: () => import("./pages/session.js"),
  videos: () => import("./pages/videos.js"),
  "new-video": () => import("./pages/newvideo.js"),
  account: () => import("./pages/account.js"),
};
// sub-pages light up their section in the sidebar
const SECTION = { character: "characters", session: "deployments", "new-video": "videos" };
const main = document.getElementById("main");
const menuBtn = document.getElementById("menu-btn");
let current = null;
let rendering = 0;

function setMenu(open) {
  document.body.classList.toggle("menu-open", open);
  menuBtn.setAttribute("aria-expanded", String(open));
  document.querySelector(".scrim")?.remove();
  if (open) {
    document.body.append(h("div", { class: "scrim", onclick: () => setMenu(false) }));
    document.querySelector(".nav a")?.focus();
  }
}
menuBtn.addEventListener("click", () => setMenu(!document.body.classList.contains("menu-open")));
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && document.body.classList.contains("menu-open")) { setMenu(false); menuBtn.focus(); } });

function loginView(error) {
  const input = h("input", { id: "api-key", type: "password", autocomplete: "off", placeholder: "key_…", required: true });
  const form = h("form", { class: "card login stack", "aria-labelledby": "login-title" },
    h("div", {}, h("h1", { id: "login-title" }, "Sign in to Kinema Studio"),
      h("p", { class: "muted" }, "Paste an API key. It stays in this tab only (sessionStorage).")),
    h("div", {}, h("label", { for: "api-key" }, "API key"), input,
      h("div", { class: "hint" }, "The first start of ", h("code", {}, "kinema serve"), " prints one; make more with ", h("code", {}, "kinema keys create --org NAME"), ".")),
    error ? h("p", { class: "alert", role: "alert" }, error) : null,
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    auth.set(input.value.trim());
    start();
  });
  main.replaceChildren(form);
  document.getElementById("account").hidden = true;
  input.focus();
}

async function start() {
  if (!auth.key) return loginView();
  try {
    const me = await api("/v1/studio/me");
    document.getElementById("org-name").textContent = me.organization;
    document.getElementById("org-credits").textContent = `${me.creditBalance} credits`;
    document.getElementById("account").hidden = false;
  } catch (err) {
    auth.clear();
    return loginView(err.status === 401 ? "That key was not accepted." : err.message);
  }
  route();
}

async function route() {
  if (!auth.key) return loginView();
  if (document.getElementById("account").hidden) return start();
  setMenu(false);
  let [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  // nested routes: #/characters/<id>, #/deployments/session/<id>
  if (name === "characters" && rest[0]) name = "character";
  else if (name === "deployments" && rest[0] === "session") { name = "session"; rest = rest.slice(1); }
  const page = PAGES[name] ? name : "characters";
  const section = SECTION[page] || page;
  for (const a of document.querySelectorAll(".nav a")) {
    if (a.dataset.page === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const mine = ++rendering;
  if (current?.leave) current.leave();
  current = null;
  const mod = await PAGES[page]();
  if (mine !== rendering) return; // another navigation won
  current = mod;
  main.replaceChildren();
  main.dataset.page = page;
  delete main.dataset.ready;
  try {
    await mod.render(main, rest.filter(Boolean));
  } catch (err) {
    if (mine !== rendering) return;
    main.replaceChildren(h("div", { class: "card stack", role: "alert" }, h("h1", {}, "Something went wrong"), h("p", {}, err.message),
      h("div", {}, h("a", { class: "button secondary", href: "#/characters" }, "Back to my characters"))));
  }
  if (mine !== rendering) return;
  main.dataset.ready = "1"; // for tests and screenshots: the page has drawn its data
  document.title = `${main.querySelector("h1")?.textContent || "Studio"} · Kinema Studio`;
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// A nav link to the page already shown starts it afresh (a new, empty Create form).
for (const a of document.querySelectorAll(".nav a")) {
  a.addEventListener("click", () => {
    if (a.getAttribute("href") === location.hash) setTimeout(route, 0);
  });
}
document.getElementById("sign-out").addEventListener("click", () => {
  if (current?.leave) current.leave();
  current = null;
  auth.clear();
  toast("Signed out");
  loginView();
});
window.addEventListener("hashchange", route);
window.kinemaStudio = { route };
start();
