// Start GOV.UK Frontend's components (error summary focus, character counts, etc.).
import { initAll } from "./govuk/govuk-frontend.min.js";
initAll();

// Idle sign-out without losing what was typed. The server ends a session after
// SESSION_IDLE_MINUTES without a request. While the person types or clicks, ask
// /session/alive now and then so that the session stays open; when nothing has happened
// for a while, warn them before it ends, with a button that keeps it open; if it ends,
// say so and leave the page (and what is typed on it) as it is.
const timeout = document.querySelector(".registry-timeout");
if (timeout) {
  const idle = Number(timeout.dataset.idleSeconds) * 1000;
  // The server writes its last-seen time at most once a minute, so count from a minute
  // before each contact; and ask no more than every minute (sooner for short settings).
  const lag = Math.min(60000, idle / 4);
  const warnFor = Math.min(120000, idle / 4);
  let contact = Date.now();
  let ended = false;
  const deadline = () => contact - lag + idle;
  const warning = timeout.querySelector("[data-timeout-warning]");
  const endedText = timeout.querySelector("[data-timeout-ended]");
  const stay = timeout.querySelector("[data-timeout-stay]");
  let returnTo = null;  // where the focus was before the warning took it
  let nextAsk = 0;  // past the deadline: when to ask the server again

  // `onlyAsk`: whether the session is still open (another tab may have kept it so),
  // without keeping it open.
  async function keepAlive(onlyAsk = false) {
    if (ended) return;
    const asked = Date.now();
    try {
      const url = timeout.dataset.aliveUrl + (onlyAsk === true ? "?check=1" : "");
      const answer = await fetch(url, {
        credentials: "same-origin", redirect: "manual", cache: "no-store"});
      if (answer.status === 204) {
        if (onlyAsk === true) return;  // still open elsewhere: keep warning, ask again
        contact = asked;
        if (!timeout.hidden) {
          timeout.hidden = true;
          if (returnTo && document.activeElement === stay) returnTo.focus();
        }
      } else {
        signedOut();
      }
    } catch (error) {
      // Offline for a moment: the next activity or the next tick tries again.
    }
  }

  function signedOut() {
    ended = true;
    warning.hidden = true;
    stay.hidden = true;
    endedText.hidden = false;
    timeout.hidden = false;
    document.body.classList.add("registry-signed-out");  // room to scroll past the notice
  }

  for (const kind of ["keydown", "input", "click"]) {
    document.addEventListener(kind, (event) => {
      if (event.target === stay) return;
      if (!ended && Date.now() - contact > lag) keepAlive();
    }, {passive: true});
  }
  stay.addEventListener("click", () => keepAlive());
  setInterval(() => {
    if (ended) return;
    const left = deadline() - Date.now();
    if (left <= 0) {
      if (Date.now() >= nextAsk) {
        nextAsk = Date.now() + lag;
        keepAlive(true);
      }
    } else if (left <= warnFor && timeout.hidden) {
      // As GOV.UK's timeout warning does: the focus goes to the way to stay (so a
      // keyboard or screen reader user meets it first) and back once they have stayed.
      returnTo = document.activeElement;
      timeout.hidden = false;
      stay.focus();
    }
  }, Math.min(5000, warnFor / 4));
}

// Lists of agencies run to thousands. Where a form marks one (data-registry-autocomplete),
// it becomes a box to type part of a name in, with up to 30 matches below it, names that
// start with what was typed first (accessible-autocomplete, which keeps the list itself,
// hidden, as what the form sends). Without JavaScript the plain list stays.
const MOST_MATCHES = 30;
for (const select of document.querySelectorAll("select[data-registry-autocomplete]")) {
  if (!window.accessibleAutocomplete) break;
  const id = select.id;
  const options = [...select.options].filter((option) => option.value);
  const names = options.map((option) => option.textContent.trim());
  const byName = new Map(options.map((option) => [option.textContent.trim().toLowerCase(),
                                                  option]));
  // The form sends what the box says: a name it lists, or nothing (so the server asks
  // again), never an agency chosen before the box was cleared or changed. The box's text
  // is read again whenever it loses the focus and when the form is sent, as the library
  // does not confirm every way of leaving it (after Escape, say).
  function sendWhatTheBoxSays(chosen) {
    const typed = chosen ?? document.getElementById(id)?.value ?? "";
    const option = byName.get(typed.trim().toLowerCase());
    select.value = option ? option.value : "";
  }
  select.form?.addEventListener("submit", () => sendWhatTheBoxSays(), {capture: true});
  window.accessibleAutocomplete.enhanceSelectElement({
    selectElement: select,
    defaultValue: "",
    minLength: 1,
    source(query, populate) {
      const wanted = query.trim().toLowerCase();
      const starting = [];
      const containing = [];
      for (const name of names) {
        const at = name.toLowerCase().indexOf(wanted);
        if (at === 0) starting.push(name);
        else if (at > 0 && containing.length < MOST_MATCHES) containing.push(name);
      }
      populate(starting.concat(containing).slice(0, MOST_MATCHES));
    },
    onConfirm(chosen) {
      sendWhatTheBoxSays(chosen);
    },
    tNoResults: () => "No agency’s name contains that",
    tStatusQueryTooShort: () => "Type part of an agency’s name",
  });
  document.getElementById(id)?.addEventListener("blur", () => {
    setTimeout(() => sendWhatTheBoxSays(), 0);  // once the library has settled the text
  });
}

// An agreement's parties are ticked in two lists of agencies, which for a partnership's
// protocol run to hundreds or thousands. A box above them shows only the agencies whose
// name contains what is typed; ticked agencies stay ticked (and sent) while hidden.
const MANY_PARTIES = 15;
for (const lists of document.querySelectorAll("[data-registry-party-filter]")) {
  const items = [...lists.querySelectorAll(".govuk-checkboxes__item")];
  const perList = items.length / Math.max(1, lists.querySelectorAll(".govuk-checkboxes").length);
  if (perList < MANY_PARTIES) continue;
  const group = document.createElement("div");
  group.className = "govuk-form-group";
  group.innerHTML = `
    <label class="govuk-label govuk-label--s" for="party-filter">Find an agency in the lists</label>
    <div class="govuk-hint" id="party-filter-hint">Type part of its name; what is already
      ticked stays ticked</div>
    <input class="govuk-input govuk-!-width-one-half" id="party-filter" type="search"
      autocomplete="off" spellcheck="false" aria-describedby="party-filter-hint">
    <p class="govuk-body-s govuk-!-margin-top-2 govuk-!-margin-bottom-0" aria-live="polite"
      data-party-filter-count></p>`;
  lists.parentNode.insertBefore(group, lists);
  const box = group.querySelector("input");
  const count = group.querySelector("[data-party-filter-count]");
  const texts = items.map((item) => item.textContent.trim().toLowerCase());
  let timer = null;
  function show() {
    const wanted = box.value.trim().toLowerCase();
    let shown = 0;
    items.forEach((item, i) => {
      const match = !wanted || texts[i].includes(wanted);
      item.hidden = !match;
      if (match) shown += 1;
    });
    count.textContent = wanted
      ? `${Math.round(shown / (items.length / perList))} of ${perList} agencies match`
      : "";
  }
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(show, 150);  // once typing pauses: thousands of items to go through
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();  // a search box, not the form's button
  });
}
