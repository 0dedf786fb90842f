package io.jstargz.image;

/** Follows a conversion: told when a layer starts and changes phase; byte counts are read from the progress. */
public interface ConvertListener {

    /** Ignores everything. */
    ConvertListener NONE = new ConvertListener() {
    };

    /** A layer is known (queued); its progress object stays the same until the end. */
    default void layerAdded(LayerProgress layer) {
    }

    /** A layer moved to another phase ({@link LayerProgress#phase()}). */
    default void layerPhase(LayerProgress layer) {
    }

    /** A line worth telling the user (an image manifest written, a layer dropped from an index). */
    default void note(String line) {
    }
}
