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

// One agency among tens of thousands (issue 20): the server renders a text box and a
// hidden id ([data-registry-agency-box], web/fields.py), and reads what was typed when a
// page is sent without JavaScript. Here the box lists up to 20 matches from
// /agencies/lookup as the person types; choosing one sets the hidden id. Typing again
// clears it unless the text is still the chosen name, so the server reads the text.
function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

function agencySource(lookup, state) {
  let asked = 0;
  let timer = null;
  return (query, populate) => {
    clearTimeout(timer);
    const wanted = query.trim();
    state.pending = Boolean(wanted);
    if (!wanted) { populate([]); return; }
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const sep = lookup.includes("?") ? "&" : "?";
        const answer = await fetch(`${lookup}${sep}q=${encodeURIComponent(wanted)}`,
                                   {headers: {Accept: "application/json"}, credentials: "same-origin"});
        const found = answer.ok ? await answer.json() : {agencies: []};
        if (mine === asked) { state.pending = false; populate(found.agencies || []); }
      } catch (error) {
        if (mine === asked) { state.pending = false; populate([]); }
      }
    }, 150);  // once typing pauses
  };
}

function enhanceAgencyBox(group, onChosen) {
  const input = group.querySelector("input.govuk-input");
  const hidden = group.querySelector("input[data-registry-agency-id]");
  if (!input || !hidden || !window.accessibleAutocomplete) return;
  const holder = document.createElement("div");
  holder.className = "registry-agency-autocomplete";
  input.replaceWith(holder);
  let chosenName = hidden.value ? input.value : null;
  const state = {pending: false};
  window.accessibleAutocomplete({
    element: holder,
    id: input.id,
    name: input.name,
    defaultValue: input.value,
    minLength: 1,
    autoselect: true,
    inputClasses: input.className.replace("govuk-input", "").trim() || null,
    source: agencySource(group.dataset.lookup, state),
    templates: {
      inputValue: (agency) => (agency && typeof agency === "object" ? agency.name : agency || ""),
      suggestion: (agency) => {
        if (!agency || typeof agency !== "object") return escapeHtml(agency || "");
        const codes = `ICO ${agency.ico_registration}` + (agency.ods_code ? `, ODS ${agency.ods_code}` : "");
        return `${escapeHtml(agency.name)} <span class="registry-agency-codes">${escapeHtml(codes)}</span>`;
      },
    },
    onConfirm(agency) {
      if (!agency || typeof agency !== "object") return;
      if (onChosen && onChosen(agency)) return;
      hidden.value = String(agency.id);
      chosenName = agency.name;
      // A candidate ticked when the server asked which one: this choice replaces it.
      for (const radio of group.querySelectorAll("input[type=radio]")) radio.checked = false;
    },
    tNoResults: () => (state.pending ? "Looking for agencies…" : "No agency matches that"),
    tStatusQueryTooShort: () => "Type part of an agency’s name, or its ICO number or ODS code",
  });
  const box = document.getElementById(input.id);
  const described = input.getAttribute("aria-describedby");
  if (box && described) box.setAttribute("aria-describedby", described);
  box?.addEventListener("input", () => {
    if (box.value.trim() !== chosenName) hidden.value = "";
  });
  return box;
}

// An agreement's parties (agreements/form.html): the box under the table adds the agency
// chosen as a row, ticked both ways, and each row gets a button that takes it out. Without
// JavaScript the Add button sends the form and the server adds it.
function partyRow(agency) {
  const row = document.createElement("tr");
  row.className = "govuk-table__row";
  const head = document.createElement("th");
  head.scope = "row";
  head.className = "govuk-table__header";
  head.textContent = agency.name;
  row.append(head);
  for (const field of ["disclosers", "receivers"]) {
    const cell = document.createElement("td");
    cell.className = "govuk-table__cell";
    const id = `${field}-${agency.id}`;
    cell.innerHTML = `<div class="govuk-checkboxes govuk-checkboxes--small"><div class="govuk-checkboxes__item">
      <input class="govuk-checkboxes__input" id="${id}" name="${field}" type="checkbox" value="${agency.id}" checked>
      <label class="govuk-label govuk-checkboxes__label" for="${id}"><span class="govuk-visually-hidden"></span></label></div></div>`;
    cell.querySelector(".govuk-visually-hidden").textContent = agency.name;
    row.append(cell);
  }
  return row;
}

function addRemoveButton(row) {
  const name = row.querySelector("th").textContent.trim();
  const cell = document.createElement("td");
  cell.className = "govuk-table__cell";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0 registry-remove-party";
  button.innerHTML = 'Remove<span class="govuk-visually-hidden"></span>';
  button.querySelector("span").textContent = ` ${name}`;
  button.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    announce(`${name} removed from the parties`);
    (next?.querySelector("button") || document.getElementById("party"))?.focus();
  });
  cell.append(button);
  row.append(cell);
}

let announcer = null;
function announce(text) {
  announcer.textContent = text;
}

for (const parties of document.querySelectorAll("[data-registry-parties]")) {
  const table = parties.querySelector("table");
  const adder = document.querySelector("[data-registry-party-adder]");
  const group = adder?.querySelector("[data-registry-agency-box]");
  if (!table || !group || !window.accessibleAutocomplete) continue;
  announcer = document.createElement("p");
  announcer.className = "govuk-visually-hidden";
  announcer.setAttribute("aria-live", "polite");
  parties.append(announcer);
  const headRow = table.querySelector("thead tr");
  const action = document.createElement("th");
  action.scope = "col";
  action.className = "govuk-table__header";
  action.innerHTML = '<span class="govuk-visually-hidden">Remove</span>';
  headRow.append(action);
  for (const row of table.querySelectorAll("tbody tr")) addRemoveButton(row);
  const body = table.querySelector("tbody");
  const box = enhanceAgencyBox(group, (agency) => {
    const there = body.querySelector(`input[name=disclosers][value="${agency.id}"]`);
    if (there) {
      announce(`${agency.name} is already a party`);
    } else {
      const row = partyRow(agency);
      addRemoveButton(row);
      body.append(row);
      table.hidden = false;
      parties.querySelector("[data-registry-no-parties]")?.remove();
      announce(`${agency.name} added to the parties, ticked to disclose and to receive`);
    }
    setTimeout(() => {  // once the library has written the name in the box
      const input = document.getElementById("party");
      if (input) {  // through the library's own handler, so its state is cleared too
        input.value = "";
        input.dispatchEvent(new Event("input", {bubbles: true}));
      }
    }, 0);
    return true;
  });
  box?.addEventListener("keydown", (event) => {
    // Enter with the list closed: the server reads what was typed, as without JavaScript.
    if (event.key === "Enter" && !box.value.trim()) event.preventDefault();
  });
}

for (const group of document.querySelectorAll("[data-registry-agency-box]")) {
  if (group.closest("[data-registry-party-adder]")) continue;
  enhanceAgencyBox(group);
}
