/*
 * An X client for the line-drawing e2e test (test/e2e/lines.e2e.test.ts): one window in which core X
 * drawing calls draw what a SPICE STROKE could carry: a zero-width polyline, a one-pixel and a five-pixel
 * wide line, an on/off dashed line (XSetDashes), an arc and a rectangle. Redraws on every Expose; prints
 * "drawn" once the first drawing is flushed. Build: gcc x-lines.c -lX11.
 */
#include <X11/Xlib.h>
#include <stdio.h>

int main(void) {
  Display *d = XOpenDisplay(NULL);
  if (!d) {
    fprintf(stderr, "x-lines: cannot open display\n");
    return 1;
  }
  int screen = DefaultScreen(d);
  Window w = XCreateSimpleWindow(d, RootWindow(d, screen), 40, 40, 400, 300, 0, BlackPixel(d, screen), WhitePixel(d, screen));
  XStoreName(d, w, "x-lines");
  XSelectInput(d, w, ExposureMask);
  XMapWindow(d, w);
  GC gc = XCreateGC(d, w, 0, NULL);
  char dash[] = {8, 4};
  XPoint zigzag[] = {{10, 10}, {60, 80}, {110, 10}, {160, 80}, {210, 10}};
  int announced = 0;
  for (;;) {
    XEvent e;
    XNextEvent(d, &e);
    if (e.type != Expose || e.xexpose.count != 0) continue;
    XSetForeground(d, gc, 0xc03020);
    XSetLineAttributes(d, gc, 0, LineSolid, CapButt, JoinMiter);
    XDrawLines(d, w, gc, zigzag, 5, CoordModeOrigin);
    XSetLineAttributes(d, gc, 1, LineSolid, CapButt, JoinMiter);
    XDrawLine(d, w, gc, 10, 100, 380, 130);
    XSetLineAttributes(d, gc, 5, LineSolid, CapRound, JoinRound);
    XDrawLine(d, w, gc, 10, 150, 380, 160);
    XSetLineAttributes(d, gc, 0, LineOnOffDash, CapButt, JoinMiter);
    XSetDashes(d, gc, 0, dash, 2);
    XDrawLine(d, w, gc, 10, 200, 380, 200);
    XSetLineAttributes(d, gc, 0, LineSolid, CapButt, JoinMiter);
    XDrawArc(d, w, gc, 240, 20, 120, 80, 0, 360 * 64);
    XDrawRectangle(d, w, gc, 20, 220, 100, 50);
    XSync(d, False);
    if (!announced) {
      printf("drawn\n");
      fflush(stdout);
      announced = 1;
    }
  }
}
