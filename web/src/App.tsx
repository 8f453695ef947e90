import { lazy, Suspense, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import { hasRole, sessionState, startSession, subscribeSession } from './api/session';
import { Header } from './components/Header';
import { ApiError } from './api/client';
import type { User } from './api/types';
import { Loading, Problem } from './components/Problem';
import { useT } from './i18n/i18n';
import { Catalog } from './pages/Catalog';
import { CoursePage } from './pages/CoursePage';
import { JobProgress } from './pages/JobProgress';
import { MyJobs } from './pages/MyJobs';
import { SignIn } from './pages/SignIn';
import { match, useLocation } from './router';

// Teachers' and admins' pages are fetched only by those who open them: the first page stays small.
const MyCourses = lazy(() => import('./pages/teacher/MyCourses'));
const CourseForm = lazy(() => import('./pages/teacher/CourseForm'));
const Cluster = lazy(() => import('./pages/admin/Cluster'));
const Users = lazy(() => import('./pages/admin/Users'));
const Homes = lazy(() => import('./pages/admin/Homes'));
const Usage = lazy(() => import('./pages/teacher/Usage'));
const MyHome = lazy(() => import('./pages/home/MyHome'));
const Classrooms = lazy(() => import('./pages/classrooms/Classrooms'));
const ClassroomPage = lazy(() => import('./pages/classrooms/ClassroomPage'));
const ClassroomForm = lazy(() => import('./pages/classrooms/ClassroomForm'));

function NotAllowed() {
  const t = useT();
  return <p className="problem">{t('error.notAllowed')}</p>;
}

function NotFound() {
  const t = useT();
  return <p className="empty">{t('error.notFound')}</p>;
}

function Page({ path, query, user }: { path: string; query: URLSearchParams; user: User }): ReactNode {
  let params: Record<string, string> | undefined;
  if (path === '/' || path === '/sign-in') return <Catalog />;
  if ((params = match('/course/:id', path))) return <CoursePage id={params.id as string} />;
  if (path === '/jobs') return <MyJobs />;
  if (path === '/home') return <MyHome user={user.name} />;
  if ((params = match('/jobs/:id', path))) return <JobProgress key={params.id} jobId={params.id as string} courseId={query.get('course')} classroomId={query.get('classroom')} />;
  const teaches = hasRole('teacher') || hasRole('admin');
  if (path === '/teach') return teaches ? <MyCourses /> : <NotAllowed />;
  if (path === '/teach/new') return teaches ? <CourseForm /> : <NotAllowed />;
  if ((params = match('/teach/edit/:id', path))) return teaches ? <CourseForm key={params.id} id={params.id as string} /> : <NotAllowed />;
  // Anyone may be in a classroom; making one is for platform teachers (the server checks the rest).
  if (path === '/classrooms') return <Classrooms />;
  if (path === '/classrooms/new') return teaches ? <ClassroomForm /> : <NotAllowed />;
  if ((params = match('/classrooms/:id/edit', path))) return <ClassroomForm key={params.id} id={params.id as string} />;
  if ((params = match('/classrooms/:id', path))) return <ClassroomPage key={params.id} id={params.id as string} />;
  if (path === '/admin') return hasRole('admin') ? <Cluster /> : <NotAllowed />;
  if (path === '/usage') return teaches ? <Usage /> : <NotAllowed />;
  if (path === '/users') return hasRole('admin') ? <Users /> : <NotAllowed />;
  if (path === '/homes') return hasRole('admin') ? <Homes /> : <NotAllowed />;
  return <NotFound />;
}

export function App() {
  const session = useSyncExternalStore(subscribeSession, sessionState);
  const { path, query } = useLocation();
  useEffect(() => {
    void startSession();
  }, []);
  const user = session.status === 'signed-in' ? session.user : undefined;
  return (
    <>
      <Header user={user} />
      <main id="main" tabIndex={-1}>
        {session.status === 'starting' && (session.retrying ? <Problem error={new ApiError(0, 'unreachable')} /> : <Loading />)}
        {session.status === 'signed-out' && <SignIn message={session.message} />}
        {user && (
          <Suspense fallback={<Loading />}>
            <Page path={path} query={query} user={user} />
          </Suspense>
        )}
      </main>
    </>
  );
}
