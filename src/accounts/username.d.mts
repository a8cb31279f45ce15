export declare const MAX_USERNAME_CHARS: number
export declare function canonicalUsername(input: unknown): { username: string; key: string } | string
export declare function foldUsername(text: string): string
export declare const USER_ID: RegExp
export declare function newUserId(): string
export declare const MIN_PASSWORD_CHARS: number
export declare const MAX_PASSWORD_CHARS: number
export declare function passwordProblem(password: unknown): string | null
