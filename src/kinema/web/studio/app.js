// Studio shell: sign-in with an API key, hash routing between pages, the account box.
import { api, auth, h, toast } from "./api.js";
import { icons } from "./icons.js";

for (const el of document.querySelectorAll("[data-icon]")) el.innerHTML = icons[el.dataset.icon];

const PAGES = {
  create: () => import("./pages/create.js"),
  characters: () => import("./pages/characters.js"),
  test: () => import("./pages/test.js"),
  deployments: () => import("./pages/deployments.js"),
  videos: () => import("./pages/videos.js"),
};
const main = document.getElementById("main");
let current = null;

function loginView(error) {
  const input = h("input", { id: "api-key", type: "password", autocomplete: "off", placeholder: "key_…", required: true });
  const form = h("form", { class: "card login stack", "aria-labelledby": "login-title" },
    h("div", {}, h("h1", { id: "login-title" }, "Sign in to Kinema Studio"),
      h("p", { class: "muted" }, "Paste an API key. It stays in this tab only (sessionStorage).")),
    h("div", {}, h("label", { for: "api-key" }, "API key"), input,
      h("div", { class: "hint" }, "The first start of ", h("code", {}, "kinema serve"), " prints one; make more with ", h("code", {}, "kinema keys create --org NAME"), ".")),
    error ? h("p", { class: "badge bad", role: "alert" }, error) : null,
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
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const page = PAGES[name] ? name : "characters";
  for (const a of document.querySelectorAll(".nav a")) {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (current?.leave) current.leave();
  const mod = await PAGES[page]();
  current = mod;
  main.replaceChildren();
  try {
    await mod.render(main, rest);
  } catch (err) {
    main.append(h("div", { class: "card", role: "alert" }, h("h2", {}, "Something went wrong"), h("p", {}, err.message)));
  }
  document.title = `${main.querySelector("h1")?.textContent || "Studio"} · Kinema Studio`;
  main.focus({ preventScroll: true });
}

document.getElementById("sign-out").addEventListener("click", () => {
  auth.clear();
  toast("Signed out");
  loginView();
});
window.addEventListener("hashchange", route);
start();
