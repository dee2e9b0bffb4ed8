// oneDNN's C API, and the two calls of its OpenMP runtime (libgomp, which Debian's libdnnl is
// built on) that set and read the thread count of the calling thread's parallel regions; the
// compiler's omp.h is not on a system library's include path, so they are declared here.
#include <oneapi/dnnl/dnnl.h>

void omp_set_num_threads(int threads);
int omp_get_max_threads(void);
