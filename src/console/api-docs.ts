import { describeRoutes } from '../http/route-doc'

export const consoleDocs = describeRoutes(
  {
    method: 'get',
    path: '/',
    tag: 'console',
    summary: 'Leads a browser to the console',
    auth: 'none',
    responses: { 302: { description: 'Redirect to /console', headers: { Location: '/console' } } },
  },
  {
    method: 'get',
    path: '/console',
    tag: 'console',
    summary: 'The web console (HTML; it uses this API with the cookie session)',
    auth: 'none',
    responses: { 200: { description: 'The page', media: { 'text/html': { type: 'string' } } } },
  },
)
