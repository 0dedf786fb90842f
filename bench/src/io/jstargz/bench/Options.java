package io.jstargz.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * {@code bench/run}'s command line.
 *
 * @param images          images to run (default all)
 * @param modes           modes to run (default: every mode whose parts are present)
 * @param nets            networks (default both)
 * @param runs            runs per cell
 * @param quiet           link silence that ends background fetching
 * @param settleMax       longest wait for background fetching to end
 * @param imagesBy        whose eStargz conversions the lazy modes run
 * @param workdir         the temporary root
 * @param out             where results are written
 * @param checkLink       only measure the link proxy
 * @param prepareOnly     only build and push the images
 * @param containerd      the containerd release the node runs
 */
record Options(List<BenchImage> images, List<Mode> modes, List<Net> nets, int runs, Duration quiet,
               Duration settleMax, Mode.ImagesBy imagesBy, Path workdir, Path out, boolean checkLink,
               boolean prepareOnly, ContainerdRelease containerd) {
    static final String USAGE = """
            usage: bench/run [options]
              --images LIST        busybox,python,jdk,app,python+app (default: all; python+app: app measured on a
                                   node that has just run python)
              --modes LIST         legacy,lazy-noopt,lazy-opt,ref-lazy-noopt,ref-lazy-opt
                                   (default: every mode whose parts are built)
              --nets LIST          loopback,20ms-200mbit (default: both)
              --runs N             runs per cell (default 5)
              --quiet-seconds S    link silence that counts as background fetch finished (default 10)
              --settle-max-seconds S  longest wait for it (default 300)
              --images-by WHO      own (default: jstargz modes on jstargz's eStargz conversions, ref modes on
                                   ctr-remote's), ctr-remote or jstargz (all lazy modes on that converter's)
              --workdir DIR        temporary root (default: a new directory under /var/tmp)
              --out DIR            results directory (default bench/results)
              --containerd R       the node's containerd: 1.6 (default, Debian 12's) or 2.1 (fetched from Debian
                                   sid by scripts/setup.sh)
              --prepare-only       build the images and put them in the registry, run nothing
              --check-link         measure the 20 ms / 200 Mbit/s link proxy and exit
            """;

    static Options parse(String[] args, Path repo) {
        List<BenchImage> images = List.of(BenchImage.values());
        List<Mode> modes = List.of();
        List<Net> nets = List.of(Net.values());
        int runs = 5;
        long quiet = 10;
        long settleMax = 300;
        Mode.ImagesBy imagesBy = Mode.ImagesBy.OWN;
        Path workdir = null;
        Path out = repo.resolve("bench/results");
        boolean checkLink = false;
        boolean prepareOnly = false;
        ContainerdRelease containerd = ContainerdRelease.V1_6;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--images" -> images = list(value(args, ++i, a), BenchImage::byId);
                case "--modes" -> modes = list(value(args, ++i, a), Mode::byId);
                case "--nets" -> nets = list(value(args, ++i, a), Net::byId);
                case "--runs" -> runs = positive(value(args, ++i, a), a);
                case "--quiet-seconds" -> quiet = positive(value(args, ++i, a), a);
                case "--settle-max-seconds" -> settleMax = positive(value(args, ++i, a), a);
                case "--images-by" -> imagesBy = imagesBy(value(args, ++i, a));
                case "--workdir" -> workdir = Path.of(value(args, ++i, a)).toAbsolutePath();
                case "--out" -> out = Path.of(value(args, ++i, a)).toAbsolutePath();
                case "--check-link" -> checkLink = true;
                case "--prepare-only" -> prepareOnly = true;
                case "--containerd" -> containerd = ContainerdRelease.byId(value(args, ++i, a));
                case "-h", "--help" -> throw new IllegalArgumentException("");
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return new Options(images, modes, nets, runs, Duration.ofSeconds(quiet), Duration.ofSeconds(settleMax),
                imagesBy, workdir, out, checkLink, prepareOnly, containerd);
    }

    private static Mode.ImagesBy imagesBy(String v) {
        return switch (v) {
            case "own" -> Mode.ImagesBy.OWN;
            case "ctr-remote" -> Mode.ImagesBy.CTR_REMOTE;
            case "jstargz" -> Mode.ImagesBy.JSTARGZ;
            default -> throw new IllegalArgumentException("--images-by takes own, ctr-remote or jstargz, not " + v);
        };
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int positive(String v, String option) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a positive whole number, not " + v);
    }

    private static <T> List<T> list(String csv, Function<String, T> byId) {
        List<T> l = new ArrayList<>();
        Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(byId).forEach(l::add);
        if (l.isEmpty()) {
            throw new IllegalArgumentException("empty list: " + csv);
        }
        return List.copyOf(l);
    }
}
