export interface SocketEdge {
  url: string
  close(): Promise<void>
}

export function startSocketEdge(options: { originUrl: string; secrets: Record<string, string> }): Promise<SocketEdge>
