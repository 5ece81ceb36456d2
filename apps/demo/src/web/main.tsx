import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createRoot } from 'react-dom/client';
import { Toaster } from 'sonner';
import { SWRConfig } from 'swr';
import '@tidings/react/styles.css';
import './app.css';
import { fetcher } from './api.js';
import { App } from './app.js';
import { theme } from './theme.js';

theme.apply();
const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, retry: 1 } } });

createRoot(document.getElementById('root') as HTMLElement).render(
  <QueryClientProvider client={queryClient}>
    <SWRConfig value={{ fetcher, revalidateOnFocus: false }}>
      <App />
      <Toaster richColors closeButton position="bottom-right" theme="system" />
    </SWRConfig>
  </QueryClientProvider>,
);
