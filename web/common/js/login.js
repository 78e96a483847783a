// The login form of both front ends: username (or phone) and password; the server's refusal, or
// the network's absence, in the alert line. `onIn` runs once the cookie session is set.
import {ApiError, login} from "./api.js";
import {el} from "./dom.js";

export function loginForm({heading, message, onIn}) {
  const error = el("p", {class: "error", role: "alert"}, message || "");
  const username = el("input", {name: "username", autocomplete: "username", required: true});
  const password = el("input", {name: "password", type: "password", autocomplete: "current-password", required: true});
  const form = el("form", {class: "login", "aria-label": "登录"}, ...heading,
    el("label", {class: "field"}, el("span", {}, "用户名或手机号"), username),
    el("label", {class: "field"}, el("span", {}, "密码"), password),
    el("button", {type: "submit", class: "primary"}, "登录"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await login(username.value.trim(), password.value);
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : "无法连接服务器，请检查网络后重试。";
      return;
    }
    await onIn();
  });
  return form;
}
