/*
 * Session bench scene: a window (default full screen) whose every pixel gets fresh random bits each frame,
 * put with XPutImage and waited for with XSync, as fast as the X server takes them. spice-server holds the X
 * server back while its client falls behind, so the frame rate this prints is the whole path's throughput
 * for whichever client is connected. Prints "frames <total>" once a second on stdout. With a third argument
 * `runs`, every frame is made of 32-pixel runs of one random colour instead: fresh images every frame that
 * compress well (the adaptive compression e2e test uses both).
 * Build: cc -O2 -o noise noise.c -lX11 ; run: noise [width height [runs]]
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;
static inline uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint32_t)state;
}

int main(int argc, char **argv) {
  Display *dpy = XOpenDisplay(NULL);
  if (!dpy) { fprintf(stderr, "noise: cannot open display\n"); return 1; }
  int scr = DefaultScreen(dpy);
  int w = argc > 2 ? atoi(argv[1]) : DisplayWidth(dpy, scr);
  int h = argc > 2 ? atoi(argv[2]) : DisplayHeight(dpy, scr);
  int runs = argc > 3 && argv[3][0] == 'r';
  XSetWindowAttributes attrs = { .override_redirect = True, .background_pixel = 0 };
  Window win = XCreateWindow(dpy, RootWindow(dpy, scr), 0, 0, w, h, 0, CopyFromParent, InputOutput, CopyFromParent,
                             CWOverrideRedirect | CWBackPixel, &attrs);
  XStoreName(dpy, win, "bench-noise");
  XMapRaised(dpy, win);
  GC gc = XCreateGC(dpy, win, 0, NULL);
  uint32_t *pixels = malloc((size_t)w * h * 4);
  XImage *img = XCreateImage(dpy, DefaultVisual(dpy, scr), 24, ZPixmap, 0, (char *)pixels, w, h, 32, w * 4);
  XSync(dpy, False);
  unsigned long frames = 0;
  time_t last = time(NULL);
  for (;;) {
    if (runs) {
      uint32_t colour = 0;
      for (size_t i = 0, n = (size_t)w * h; i < n; i++) pixels[i] = (i & 31) ? colour : (colour = next() & 0xffffff);
    } else {
      for (size_t i = 0, n = (size_t)w * h; i < n; i++) pixels[i] = next() & 0xffffff;
    }
    XPutImage(dpy, win, gc, img, 0, 0, 0, 0, w, h);
    XSync(dpy, False);
    frames++;
    time_t now = time(NULL);
    if (now != last) {
      last = now;
      printf("frames %lu\n", frames);
      fflush(stdout);
    }
  }
}
