import * as v from 'valibot'

const SEND_LOGIN = 'send {"username": "...", "password": "..."}'
const SEND_REFRESH = 'send {"refresh_token": "..."}'

/** `POST /auth/login`: `cookie: true` asks for a browser session instead of tokens in the body. */
export const LoginBody = v.object(
  {
    username: v.pipe(v.string(SEND_LOGIN), v.nonEmpty(SEND_LOGIN), v.maxLength(256, SEND_LOGIN)),
    password: v.pipe(v.string(SEND_LOGIN), v.nonEmpty(SEND_LOGIN), v.maxLength(1024, 'password is over 1024 characters')),
    cookie: v.optional(v.boolean('cookie must be true or false')),
    device_token: v.optional(v.string('"device_token" must be the string a previous login gave')),
  },
  SEND_LOGIN,
)

/** `POST /auth/refresh` without the browser's refresh cookie. */
export const RefreshBody = v.object({ refresh_token: v.pipe(v.string(SEND_REFRESH), v.nonEmpty(SEND_REFRESH)) }, SEND_REFRESH)
