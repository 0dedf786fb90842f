package io.jstargz.fs.binding.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.fs.binding.KeptConnection.OpenInode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The table of open inodes on disk ({@link OpenInodeTable}), as the next server reads it: what a server recorded is
 * read back while the table is still mapped (as after a crash, where nothing was flushed), through growth, and a
 * file that is not such a table is refused with a message naming it.
 */
class OpenInodeTableTest {
    @TempDir
    Path tmp;

    @Test
    void whatIsRecordedIsReadBackWithoutClosingTheTable() throws IOException {
        Path mp = tmp.resolve("fs");
        try (OpenInodeTable t = OpenInodeTable.create(mp, List.of(new OpenInode(7, 3, 2)))) {
            assertEquals(List.of(new OpenInode(7, 3, 2)), OpenInodeTable.read(mp), "the adopted inodes");
            int nine = t.add(9, 0, 1);
            int ten = t.add(10, 4, 1);
            t.count(nine, 5);
            t.remove(0);
            assertEquals(sorted(List.of(new OpenInode(9, 0, 5), new OpenInode(10, 4, 1))),
                    sorted(OpenInodeTable.read(mp)));
            assertEquals(0, t.add(11, 6, 1), "a freed slot is used again");
            t.remove(ten);
            assertEquals(sorted(List.of(new OpenInode(9, 0, 5), new OpenInode(11, 6, 1))),
                    sorted(OpenInodeTable.read(mp)));
        }
        assertTrue(Files.exists(OpenInodeTable.fileOf(mp)), "closing leaves the file for the next server");
    }

    @Test
    void theTableGrowsPastItsFirstPage() throws IOException {
        Path mp = tmp.resolve("fs");
        List<OpenInode> want = new ArrayList<>();
        try (OpenInodeTable t = OpenInodeTable.create(mp, List.of())) {
            for (int i = 1; i <= 2000; i++) {
                t.add(i, i % 7, i % 3 + 1);
                want.add(new OpenInode(i, i % 7, i % 3 + 1));
            }
            assertEquals(want, OpenInodeTable.read(mp));
        }
        OpenInodeTable again = OpenInodeTable.create(mp, want);
        assertEquals(want, OpenInodeTable.read(mp), "a table started with many inodes");
        again.delete();
        assertFalse(Files.exists(OpenInodeTable.fileOf(mp)), "deleting removes the file");
    }

    @Test
    void aFileThatIsNotATableIsRefusedNamingIt() throws IOException {
        Path mp = tmp.resolve("fs");
        assertThrows(NoSuchFileException.class, () -> OpenInodeTable.read(mp));
        Path file = OpenInodeTable.fileOf(mp);
        Files.writeString(file, "not a table of open inodes");
        IOException e = assertThrows(IOException.class, () -> OpenInodeTable.read(mp));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("malformed"), e.getMessage());
        try (OpenInodeTable t = OpenInodeTable.create(mp, List.of(new OpenInode(7, 3, 2), new OpenInode(8, 0, 1)))) {
            t.count(1, 1);
        }
        byte[] b = Files.readAllBytes(file);
        ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putLong(16 + 16, 7); // inode 7 twice
        Files.write(file, b);
        e = assertThrows(IOException.class, () -> OpenInodeTable.read(mp));
        assertTrue(e.getMessage().contains("slot 1"), e.getMessage());
    }

    private static List<OpenInode> sorted(List<OpenInode> inodes) {
        return inodes.stream().sorted(Comparator.comparingLong(OpenInode::inode)).toList();
    }
}
